//! A real SMTP server on loopback that keeps what it is sent: enough of RFC 5321 (and of AUTH PLAIN and LOGIN,
//! any credentials accepted) for lettre's client without TLS. It can be stopped, so that the port refuses
//! connections, and started again on the same port.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

/// One message as the sink took it.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// The envelope sender (MAIL FROM), without angle brackets.
    pub from: String,
    /// The envelope recipients (RCPT TO), without angle brackets.
    pub to: Vec<String>,
    /// The raw message (headers and body) as sent after DATA, dot-stuffing undone, CRLF line ends.
    pub data: String,
    /// Who logged in on the connection that sent it (AUTH PLAIN or LOGIN), if anyone did.
    pub username: Option<String>,
}

impl ReceivedMail {
    /// The decoded Subject header, or "" when there is none.
    pub fn subject(&self) -> String {
        parse(&self.data, |message| message.subject().map(str::to_owned))
    }

    /// The decoded text/plain body part, or "" when there is none.
    pub fn text(&self) -> String {
        parse(&self.data, |message| match &message.text_part(0)?.body {
            mail_parser::PartType::Text(text) => Some(text.to_string()),
            _ => None,
        })
    }

    /// The decoded text/html body part, or "" when there is none.
    pub fn html(&self) -> String {
        parse(&self.data, |message| match &message.html_part(0)?.body {
            mail_parser::PartType::Html(html) => Some(html.to_string()),
            _ => None,
        })
    }
}

fn parse(data: &str, read: impl FnOnce(&mail_parser::Message<'_>) -> Option<String>) -> String {
    mail_parser::MessageParser::default()
        .parse(data.as_bytes())
        .and_then(|message| read(&message))
        .unwrap_or_default()
}

pub struct SmtpSink {
    addr: SocketAddr,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    stop: CancellationToken,
    server: JoinHandle<()>,
}

impl SmtpSink {
    /// A sink on 127.0.0.1 and a free port.
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the SMTP sink");
        Self::serve(listener)
    }

    /// A sink on `addr`, typically a stopped sink's: tries for a few seconds while the port is still busy.
    pub async fn start_on(addr: SocketAddr) -> SmtpSink {
        let mut tries = 0;
        loop {
            match TcpListener::bind(addr).await {
                Ok(listener) => return Self::serve(listener),
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("bind the SMTP sink again on {addr}: {error}"),
            }
        }
    }

    fn serve(listener: TcpListener) -> SmtpSink {
        let addr = listener.local_addr().expect("the SMTP sink's address");
        let mails = Arc::new(Mutex::new(Vec::new()));
        let stop = CancellationToken::new();
        let server = tokio::spawn(accept(listener, mails.clone(), stop.clone()));
        SmtpSink {
            addr,
            mails,
            stop,
            server,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.mails.lock().expect("the sink's mails").clone()
    }

    /// Waits until at least `count` messages have come, or `within` has passed; then what has come.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let mails = self.messages();
            if mails.len() >= count || tokio::time::Instant::now() >= deadline {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Closes the listener and every open connection: from then on the port refuses connections.
    pub async fn stop(mut self) {
        self.stop.cancel();
        let _ = (&mut self.server).await;
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn accept(listener: TcpListener, mails: Arc<Mutex<Vec<ReceivedMail>>>, stop: CancellationToken) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    connections.spawn(session(stream, mails.clone()));
                }
            }
            // Reap finished sessions so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// The mail being put together on one connection.
#[derive(Default)]
struct Transaction {
    from: Option<String>,
    to: Vec<String>,
}

/// One SMTP conversation, until QUIT, the client hanging up, or an I/O error.
async fn session(stream: TcpStream, mails: Arc<Mutex<Vec<ReceivedMail>>>) {
    let _ = converse(stream, &mails).await;
}

async fn converse(stream: TcpStream, mails: &Mutex<Vec<ReceivedMail>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut username: Option<String> = None;
    let mut transaction = Transaction::default();
    write.write_all(b"220 sickbay-smtp-sink ESMTP ready\r\n").await?;
    loop {
        let Some(line) = read_line(&mut read).await? else {
            return Ok(());
        };
        let (verb, argument) = match line.split_once(' ') {
            Some((verb, argument)) => (verb.to_ascii_uppercase(), argument.trim().to_owned()),
            None => (line.trim().to_ascii_uppercase(), String::new()),
        };
        let reply: String = match verb.as_str() {
            "EHLO" => {
                transaction = Transaction::default();
                "250-sickbay-smtp-sink greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN LOGIN\r\n".into()
            }
            "HELO" => {
                transaction = Transaction::default();
                "250 sickbay-smtp-sink\r\n".into()
            }
            "AUTH" => match authenticate(&argument, &mut read, &mut write).await? {
                Some(user) => {
                    username = Some(user);
                    "235 2.7.0 Authentication successful\r\n".into()
                }
                None => "501 5.5.4 Malformed AUTH\r\n".into(),
            },
            "MAIL" => match path(&argument, "FROM:") {
                Some(from) => {
                    transaction = Transaction {
                        from: Some(from),
                        to: Vec::new(),
                    };
                    "250 2.1.0 OK\r\n".into()
                }
                None => "501 5.5.4 Syntax: MAIL FROM:<address>\r\n".into(),
            },
            "RCPT" => match (&transaction.from, path(&argument, "TO:")) {
                (None, _) => "503 5.5.1 MAIL first\r\n".into(),
                (Some(_), Some(to)) if !to.is_empty() => {
                    transaction.to.push(to);
                    "250 2.1.5 OK\r\n".into()
                }
                (Some(_), _) => "501 5.5.4 Syntax: RCPT TO:<address>\r\n".into(),
            },
            "DATA" => {
                if transaction.to.is_empty() {
                    "503 5.5.1 RCPT first\r\n".into()
                } else {
                    write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                    let Some(data) = read_data(&mut read).await? else {
                        return Ok(());
                    };
                    let done = std::mem::take(&mut transaction);
                    mails.lock().expect("the sink's mails").push(ReceivedMail {
                        from: done.from.unwrap_or_default(),
                        to: done.to,
                        data,
                        username: username.clone(),
                    });
                    "250 2.0.0 OK: queued\r\n".into()
                }
            }
            "RSET" => {
                transaction = Transaction::default();
                "250 2.0.0 OK\r\n".into()
            }
            "NOOP" => "250 2.0.0 OK\r\n".into(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                write.shutdown().await?;
                return Ok(());
            }
            _ => "502 5.5.2 Command not recognized\r\n".into(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// One line without its CRLF; None at the end of the stream.
async fn read_line(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    if read.read_until(b'\n', &mut buf).await? == 0 {
        return Ok(None);
    }
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// The message after DATA up to the line holding only ".", with the leading dot of dot-stuffed lines removed.
async fn read_data(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> std::io::Result<Option<String>> {
    let mut data = String::new();
    loop {
        let Some(line) = read_line(read).await? else {
            return Ok(None);
        };
        if line == "." {
            return Ok(Some(data));
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
        data.push_str("\r\n");
    }
}

/// The address of "FROM:<a@b> BODY=8BITMIME" (or "TO:<...>"), without brackets; None when it isn't one.
fn path(argument: &str, keyword: &str) -> Option<String> {
    let head = argument.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = argument[keyword.len()..].trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_owned())
}

/// AUTH PLAIN (with or without the initial response) or LOGIN: any credentials pass; the username, or None
/// when the exchange makes no sense.
async fn authenticate(
    argument: &str,
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    write: &mut tokio::net::tcp::OwnedWriteHalf,
) -> std::io::Result<Option<String>> {
    let mut words = argument.split_whitespace();
    let mechanism = words.next().unwrap_or_default().to_ascii_uppercase();
    let initial = words.next().map(str::to_owned);
    match mechanism.as_str() {
        "PLAIN" => {
            let response = match initial {
                Some(response) => response,
                None => {
                    write.write_all(b"334 \r\n").await?;
                    read_line(read).await?.unwrap_or_default()
                }
            };
            // authzid \0 authcid \0 password
            let decoded = base64_decode(&response).unwrap_or_default();
            let mut fields = decoded.split(|b| *b == 0);
            let user = fields.nth(1).map(|user| String::from_utf8_lossy(user).into_owned());
            Ok(user)
        }
        "LOGIN" => {
            let user = match initial {
                Some(user) => user,
                None => {
                    write.write_all(b"334 VXNlcm5hbWU6\r\n").await?; // "Username:"
                    read_line(read).await?.unwrap_or_default()
                }
            };
            write.write_all(b"334 UGFzc3dvcmQ6\r\n").await?; // "Password:"
            let _password = read_line(read).await?;
            Ok(base64_decode(&user).map(|user| String::from_utf8_lossy(&user).into_owned()))
        }
        _ => Ok(None),
    }
}

/// Standard base64 with padding, as SASL uses; None when it isn't.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let text = text.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0u32);
    for c in text.bytes() {
        bits = (bits << 6) | value(c)?;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}
