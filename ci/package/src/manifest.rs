//! MANIFEST.XML: the bundle description 1C reads to pick the library for its platform.

use crate::matrix::Platform;

/// The file name 1C looks for at the root of the zip.
pub const FILE_NAME: &str = "MANIFEST.XML";

/// MANIFEST.XML listing `platforms`' libraries.
pub fn render(platforms: &[Platform]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <bundle xmlns=\"http://v8.1c.ru/8.2/addin/bundle\">\n",
    );
    for p in platforms {
        xml.push_str(&format!(
            "\t<component os=\"{}\" path=\"{}\" type=\"native\" arch=\"{}\"/>\n",
            p.os, p.zip_name, p.arch
        ));
    }
    xml.push_str("</bundle>\n");
    xml
}

/// The `path` attribute of every `component` element in `xml`.
pub fn component_paths(xml: &str) -> Vec<String> {
    xml.split("<component")
        .skip(1)
        .filter_map(|element| {
            let element = &element[..element.find('>')?];
            let value = &element[element.find("path=\"")? + 6..];
            Some(value[..value.find('"')?].to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::PLATFORMS;

    #[test]
    fn lists_every_platform_once() {
        let xml = render(&PLATFORMS);
        assert!(xml.contains("<bundle xmlns=\"http://v8.1c.ru/8.2/addin/bundle\">"));
        assert!(xml.contains(
            "<component os=\"Windows\" path=\"TcpLink_Win32.dll\" type=\"native\" arch=\"i386\"/>"
        ));
        let paths = component_paths(&xml);
        let expected: Vec<&str> = PLATFORMS.iter().map(|p| p.zip_name).collect();
        assert_eq!(paths, expected);
    }
}
