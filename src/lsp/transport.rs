//! The wire: JSON-RPC messages framed by `Content-Length` headers, read from a byte stream
//! with limits (a header line, a message) so that no input makes the server allocate without
//! bound, stop, or panic. A message that cannot be read is reported to the caller, which
//! answers it with a JSON-RPC error, and reading goes on with the next message.

use std::io::{self, BufRead, Read, Write};

use lsp_server::Message;

/// Longest message body read (a 16 MiB spec, JSON-escaped, fits).
pub(crate) const MAX_MESSAGE_BYTES: u64 = 64 << 20;
/// Longest header line read.
const MAX_HEADER_LINE: u64 = 4096;

/// What was read from the stream.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A JSON-RPC message.
    Message(Message),
    /// A message that could not be read, and why (no content is echoed).
    Malformed(&'static str),
    /// The end of the stream.
    Eof,
}

/// Reads the next message.
pub(crate) fn read(input: &mut impl BufRead) -> io::Result<Incoming> {
    let mut length: Option<u64> = None;
    let mut bad_header = false;
    let mut saw_header = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = input
            .by_ref()
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(Incoming::Eof);
        }
        if line.last() != Some(&b'\n') {
            // A header line too long: skip to its end.
            skip_line(input)?;
            bad_header = true;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_header && !bad_header {
                // A blank line between messages: not a header block.
                continue;
            }
            break;
        }
        saw_header = true;
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<u64>() {
                    Ok(v) => length = Some(v),
                    Err(_) => bad_header = true,
                }
            }
            Some(_) => {}
            None => bad_header = true,
        }
    }
    let Some(length) = length.filter(|_| !bad_header) else {
        return Ok(Incoming::Malformed("malformed message header"));
    };
    if length > MAX_MESSAGE_BYTES {
        io::copy(&mut input.by_ref().take(length), &mut io::sink())?;
        return Ok(Incoming::Malformed("message longer than the limit"));
    }
    let mut body = Vec::new();
    input.by_ref().take(length).read_to_end(&mut body)?;
    if u64::try_from(body.len()).ok() != Some(length) {
        return Ok(Incoming::Eof);
    }
    match serde_json::from_slice::<Message>(&body) {
        Ok(m) => Ok(Incoming::Message(m)),
        Err(_) => Ok(Incoming::Malformed("not a JSON-RPC message")),
    }
}

fn skip_line(input: &mut impl BufRead) -> io::Result<()> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i.saturating_add(1));
                return Ok(());
            }
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    }
}

/// Writes one JSON value as a framed message.
pub(crate) fn write(output: &mut impl Write, value: &serde_json::Value) -> io::Result<()> {
    let text = serde_json::to_string(value).map_err(io::Error::from)?;
    write!(output, "Content-Length: {}\r\n\r\n", text.len())?;
    output.write_all(text.as_bytes())?;
    output.flush()
}

/// Writes a message (with its `"jsonrpc": "2.0"`).
pub(crate) fn write_message(output: &mut impl Write, message: &Message) -> io::Result<()> {
    let mut value = serde_json::to_value(message).map_err(io::Error::from)?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert("jsonrpc".into(), "2.0".into());
    }
    write(output, &value)
}

/// Writes the error response to a message that could not be read (its id is unknown:
/// `null`, as JSON-RPC has it).
pub(crate) fn write_parse_error(output: &mut impl Write, why: &str) -> io::Result<()> {
    let value = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": -32700, "message": why },
    });
    write(output, &value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    fn read_all(input: &[u8]) -> Vec<String> {
        let mut r = io::BufReader::new(input);
        let mut out = Vec::new();
        loop {
            match read(&mut r).unwrap() {
                Incoming::Eof => return out,
                Incoming::Malformed(why) => out.push(format!("malformed: {why}")),
                Incoming::Message(m) => out.push(format!("{m:?}").chars().take(20).collect()),
            }
        }
    }

    #[test]
    fn messages_and_malformed_input_are_told_apart_and_reading_goes_on() {
        let ok = frame(r#"{"jsonrpc":"2.0","method":"exit"}"#);
        let mut input = String::new();
        input.push_str(&frame("{not json"));
        input.push_str("Content-Length: 99999999999\r\n\r\n");
        let read = read_all(input.as_bytes());
        assert_eq!(
            read,
            [
                "malformed: not a JSON-RPC message",
                "malformed: message longer than the limit"
            ]
        );
        let mut input = String::new();
        input.push_str("Bogus header\r\n\r\n");
        input.push_str("Content-Type: x\r\n\r\n\r\n");
        input.push_str(&ok);
        input.push_str(&format!("X-Long: {}\r\n\r\n", "x".repeat(10_000)));
        input.push_str(&ok);
        let read = read_all(input.as_bytes());
        assert_eq!(read.len(), 5, "{read:?}");
        assert_eq!(read[0], "malformed: malformed message header");
        assert_eq!(read[1], "malformed: malformed message header");
        assert!(read[2].starts_with("Notification"));
        assert_eq!(read[3], "malformed: malformed message header");
        assert!(read[4].starts_with("Notification"));
    }

    #[test]
    fn a_body_that_is_not_utf8_is_malformed() {
        let mut input = b"Content-Length: 3\r\n\r\n".to_vec();
        input.extend([0xff, 0xfe, 0x7b]);
        assert_eq!(read_all(&input), ["malformed: not a JSON-RPC message"]);
    }

    #[test]
    fn a_cut_message_is_the_end() {
        assert!(read_all(b"Content-Length: 30\r\n\r\n{\"a\"").is_empty());
    }
}
