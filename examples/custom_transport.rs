//! A transport of your own, read by tcplink's reader: a serial-over-TCP bridge.
//!
//! Serial device servers that speak RFC 2217 carry the serial line's bytes in Telnet framing,
//! where a data byte 0xFF is sent twice (IAC IAC). [`TelnetData`] undoes that on reads and does
//! it on writes over a [`TimedSocket`], which makes it a [`Transport`]; the reader
//! ([`ReadBuffer`]) then reads from it by the usual rules: up to a marker, within a time limit,
//! keeping what comes after the marker for the next read.
//!
//! The example plays both sides on 127.0.0.1, a thread standing in for the device server:
//! `cargo run --example custom_transport`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use tcplink::{Deadline, ReadBuffer, ReadEnd, ReadLimits, TimedSocket, TlsInfo, Transport};

/// Telnet's "interpret as command" byte; doubled, it is the data byte 0xFF.
const IAC: u8 = 0xFF;

/// The data bytes of a Telnet-framed byte stream. This bridge sends no Telnet command but the
/// doubled 0xFF; a full RFC 2217 client would also answer option negotiation.
struct TelnetData {
    socket: TimedSocket,
    /// The last byte received was a lone IAC, whose pair is still to come.
    after_iac: bool,
}

impl Read for TelnetData {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let received = self.socket.read(buf)?;
            if received == 0 {
                return Ok(0);
            }
            let mut kept = 0;
            for i in 0..received {
                let byte = buf[i];
                if self.after_iac {
                    if byte != IAC {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("unexpected Telnet command {byte}"),
                        ));
                    }
                    self.after_iac = false;
                } else if byte == IAC {
                    self.after_iac = true;
                    continue;
                }
                buf[kept] = byte;
                kept += 1;
            }
            // Only a lone IAC arrived: a return of 0 would mean EOF, so receive again.
            if kept > 0 {
                return Ok(kept);
            }
        }
    }
}

impl Write for TelnetData {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut framed = Vec::with_capacity(buf.len() + 8);
        for &byte in buf {
            framed.push(byte);
            if byte == IAC {
                framed.push(IAC);
            }
        }
        // All or nothing, so that the count returned is of the caller's bytes.
        self.socket.write_all(&framed)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.socket.flush()
    }
}

impl Transport for TelnetData {
    fn socket(&self) -> &TimedSocket {
        &self.socket
    }

    fn socket_mut(&mut self) -> &mut TimedSocket {
        &mut self.socket
    }

    fn tls_info(&self) -> Option<TlsInfo> {
        None
    }

    fn has_buffered_input(&mut self) -> bool {
        // A lone IAC is not data: nothing is held that a read would return.
        false
    }

    fn shutdown(&mut self) -> io::Result<()> {
        self.socket.shutdown(Shutdown::Write)
    }

    fn into_plain_socket(self: Box<Self>) -> Result<TimedSocket, Box<dyn Transport>> {
        // The socket carries Telnet framing: upgrading it as bare TCP would lose the framing.
        Err(self)
    }
}

/// The device server: takes the `READ` command and answers a binary frame with 0xFF in it,
/// ended by CR LF, and the start of the next one.
fn device_server(listener: TcpListener) -> io::Result<()> {
    let (mut stream, _) = listener.accept()?;
    let mut command = [0; 7];
    stream.read_exact(&mut command)?;
    assert_eq!(&command, b"READ\xff\xff\n", "0xFF arrives doubled");
    stream.write_all(&[
        0x01, IAC, IAC, 0x02, IAC, IAC, b'\r', b'\n', b'n', b'e', b'x', b't',
    ])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    let device = thread::spawn(move || device_server(listener));

    let mut bridge = TelnetData {
        socket: TimedSocket::new(TcpStream::connect(address)?),
        after_iac: false,
    };
    Transport::set_write_deadline(&mut bridge, Deadline::after(Some(Duration::from_secs(5))));
    bridge.write_all(b"READ\xff\n")?;

    let mut buffer = ReadBuffer::new();
    let limits = ReadLimits {
        marker: b"\r\n",
        timeout: Some(Duration::from_secs(5)),
        ..ReadLimits::default()
    };
    let answer = buffer.read_until(&mut bridge, &limits)?;
    println!(
        "{} bytes from {}, ended on {}: {:02X?}",
        answer.data.len(),
        bridge.peer_addr()?,
        answer.end.as_str(),
        answer.data
    );
    assert_eq!(answer.data, [0x01, IAC, 0x02, IAC, b'\r', b'\n']);
    assert_eq!(answer.end, ReadEnd::Marker);

    // What came after the marker waits for the next read, which ends on EOF.
    device.join().expect("the device server panicked")?;
    let rest = buffer.read_until(&mut bridge, &limits)?;
    assert_eq!(
        (rest.data.as_slice(), rest.end),
        (&b"next"[..], ReadEnd::Eof)
    );
    println!(
        "then {:?}, ended on {}",
        String::from_utf8_lossy(&rest.data),
        rest.end.as_str()
    );
    bridge.shutdown()?;
    Ok(())
}
