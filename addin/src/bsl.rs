//! The BSL modules shipped beside the add-in, made from one source: `bsl/TcpLink.bsl`, the
//! module for 1C, whose region `ПодключениеКомпоненты` is replaced by
//! `bsl/onescript/ПодключениеКомпоненты.os` for OneScript (1C attaches the component from a
//! common template, OneScript from a zip file). Each is shipped under two names, `TcpLink` and
//! OPI's `OPI_TCP`, so that code written for OPI runs after swapping the module; OneScript gets a
//! `lib.config` that declares both, so the folder loads with `#Использовать`.

/// The module source for 1C.
const SOURCE: &str = include_str!("../bsl/TcpLink.bsl");
/// OneScript's version of the region `ПодключениеКомпоненты`.
const ONESCRIPT_ATTACH: &str = include_str!("../bsl/onescript/ПодключениеКомпоненты.os");
/// Where the host-specific region starts; it ends at the next `#КонецОбласти`.
const REGION_START: &str = "#Область ПодключениеКомпоненты";
const REGION_END: &str = "#КонецОбласти";

/// A file shipped in the package's `bsl/` folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippedFile {
    /// The file's name in `bsl/`.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// The host a module is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// 1C:Enterprise: a common module, `.bsl`.
    OneC,
    /// OneScript: a library module, `.os`.
    OneScript,
}

/// The module for `host` under the name `name` (`TcpLink` or `OPI_TCP`).
pub fn module(name: &str, host: Host) -> String {
    let text = match host {
        Host::OneC => SOURCE.to_string(),
        Host::OneScript => {
            let start = SOURCE
                .find(REGION_START)
                .expect("TcpLink.bsl has the region ПодключениеКомпоненты");
            let end = start
                + SOURCE[start..]
                    .find(REGION_END)
                    .expect("the region ПодключениеКомпоненты ends")
                + REGION_END.len();
            format!(
                "{}{}{}",
                &SOURCE[..start],
                ONESCRIPT_ATTACH.trim_end(),
                &SOURCE[end..]
            )
        }
    };
    if name == "TcpLink" {
        return text;
    }
    let (first_line, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let renamed = first_line.replacen("Модуль TcpLink", &format!("Модуль {name}"), 1);
    format!("{renamed}\n// (Тот же модуль, что TcpLink, под именем модуля OPI: код для OPI_TCP работает без изменений.)\n{rest}")
}

/// Every file of the package's `bsl/` folder: `TcpLink` and `OPI_TCP` for 1C (`.bsl`) and for
/// OneScript (`.os`), and OneScript's `lib.config`.
pub fn shipped_files() -> Vec<ShippedFile> {
    let mut files = Vec::new();
    for name in ["TcpLink", "OPI_TCP"] {
        for (host, extension) in [(Host::OneC, "bsl"), (Host::OneScript, "os")] {
            files.push(ShippedFile {
                name: format!("{name}.{extension}"),
                text: module(name, host),
            });
        }
    }
    files.push(ShippedFile {
        name: "lib.config".to_string(),
        text: "<package-def>\n    <module name=\"TcpLink\" file=\"TcpLink.os\"/>\n    <module name=\"OPI_TCP\" file=\"OPI_TCP.os\"/>\n</package-def>\n".to_string(),
    });
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onescript_gets_its_own_attach_region_and_nothing_else_changes() {
        let one_c = module("TcpLink", Host::OneC);
        let onescript = module("TcpLink", Host::OneScript);
        assert!(one_c.contains("ОбщийМакет.TcpLinkКомпонента"));
        assert!(!onescript.contains("ОбщийМакет.TcpLinkКомпонента"));
        assert!(onescript.contains("TCPLINK_ADDIN"));
        let outside = |text: &str| {
            let start = text.find(REGION_START).unwrap();
            let end = start + text[start..].find(REGION_END).unwrap();
            (text[..start].to_string(), text[end..].to_string())
        };
        assert_eq!(outside(&one_c), outside(&onescript));
    }

    #[test]
    fn opi_tcp_is_the_same_module_under_opis_name() {
        let opi = module("OPI_TCP", Host::OneC);
        assert!(opi.starts_with("// Модуль OPI_TCP:"));
        let tcplink = module("TcpLink", Host::OneC);
        let body = |text: &str| text.split_once("#Область").unwrap().1.to_string();
        assert_eq!(body(&opi), body(&tcplink));
        let names: Vec<String> = shipped_files().into_iter().map(|f| f.name).collect();
        assert_eq!(
            names,
            [
                "TcpLink.bsl",
                "TcpLink.os",
                "OPI_TCP.bsl",
                "OPI_TCP.os",
                "lib.config"
            ]
        );
    }
}
