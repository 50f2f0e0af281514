//! The wire protocol: message framing (OP_MSG with kind 0/1 sections, OP_QUERY/OP_REPLY for the
//! legacy handshake) and a BSON validator that checks lengths, UTF-8 and nesting depth before
//! anything is decoded.
use bson::Document;
use bson::raw::{RawDocument, RawDocumentBuf};

/// `OP_REPLY`.
pub const OP_REPLY: i32 = 1;
/// `OP_QUERY`.
pub const OP_QUERY: i32 = 2004;
/// `OP_COMPRESSED`.
pub const OP_COMPRESSED: i32 = 2012;
/// `OP_MSG`.
pub const OP_MSG: i32 = 2013;
/// Largest message accepted (`maxMessageSizeBytes`).
pub const MAX_MESSAGE_SIZE: usize = 48_000_000;
/// Largest BSON document accepted in a message (16 MiB plus headroom for command fields).
pub const MAX_WIRE_DOC_SIZE: usize = 16 * 1024 * 1024 + 16 * 1024;
/// Deepest nesting of documents and arrays accepted.
pub const MAX_DEPTH: usize = 100;

const FLAG_CHECKSUM: u32 = 1;
const FLAG_MORE_TO_COME: u32 = 1 << 1;
const FLAG_EXHAUST_ALLOWED: u32 = 1 << 16;

/// Why a frame was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed message: {0}")]
pub struct FrameError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, FrameError> {
    Err(FrameError(msg.into()))
}

/// The fixed 16-byte header of every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Total message length, header included.
    pub length: i32,
    /// The sender's id for this message.
    pub request_id: i32,
    /// The request this message answers.
    pub response_to: i32,
    /// The opcode.
    pub op_code: i32,
}

impl Header {
    /// Parses a header and checks the length is acceptable.
    pub fn parse(b: &[u8; 16]) -> Result<Self, FrameError> {
        let rd = |i: usize| i32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let h = Header { length: rd(0), request_id: rd(4), response_to: rd(8), op_code: rd(12) };
        if h.length < 16 + 5 || h.length as usize > MAX_MESSAGE_SIZE {
            return err(format!("invalid message length {}", h.length));
        }
        Ok(h)
    }
}

/// A kind 1 section of an OP_MSG: documents the command takes as an array (`documents` of an
/// `insert`, `updates` of an `update`), kept as validated but undecoded BSON.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentSequence {
    /// The command field the documents belong to.
    pub identifier: String,
    /// The documents, each checked by [`validate_document`].
    pub documents: Vec<RawDocumentBuf>,
}

/// A decoded request.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// An OP_MSG: the command and its document sequences.
    Msg {
        /// The command document (the kind 0 section).
        command: Document,
        /// The document sequences, none of which names a field of `command`.
        sequences: Vec<DocumentSequence>,
        /// Whether the client expects no reply.
        more_to_come: bool,
    },
    /// A legacy OP_QUERY against `<db>.$cmd`.
    Query {
        /// The full collection name, e.g. `admin.$cmd`.
        collection: String,
        /// The query (command) document.
        query: Document,
    },
}

/// Decodes the body (everything after the header) of a message.
pub fn decode_body(header: &Header, body: &[u8]) -> Result<Request, FrameError> {
    match header.op_code {
        OP_MSG => decode_msg(body),
        OP_QUERY => decode_query(body),
        OP_COMPRESSED => err("compression was not negotiated"),
        other => err(format!("unsupported opcode {other}")),
    }
}

/// Decodes a whole frame (header included), as a fuzz entry point.
pub fn decode_frame(frame: &[u8]) -> Result<(Header, Request), FrameError> {
    if frame.len() < 16 {
        return err("frame shorter than a header");
    }
    let mut hb = [0u8; 16];
    hb.copy_from_slice(&frame[..16]);
    let h = Header::parse(&hb)?;
    if h.length as usize != frame.len() {
        return err("frame length does not match header");
    }
    let req = decode_body(&h, &frame[16..])?;
    Ok((h, req))
}

fn read_i32(b: &[u8], at: usize) -> Result<i32, FrameError> {
    match b.get(at..at + 4) {
        Some(s) => Ok(i32::from_le_bytes([s[0], s[1], s[2], s[3]])),
        None => err("truncated integer"),
    }
}

fn read_cstring(b: &[u8], at: usize) -> Result<(String, usize), FrameError> {
    let (s, end) = cstring_at(b, at)?;
    Ok((s.to_owned(), end))
}

/// The UTF-8 text of the zero-terminated string at `at`, borrowed, and where it ends.
fn cstring_at(b: &[u8], at: usize) -> Result<(&str, usize), FrameError> {
    let rest = b.get(at..).unwrap_or(&[]);
    let Some(nul) = rest.iter().position(|c| *c == 0) else { return err("unterminated cstring") };
    let s = std::str::from_utf8(&rest[..nul])
        .map_err(|_| FrameError("invalid UTF-8 in cstring".into()))?;
    Ok((s, at + nul + 1))
}

/// Validates and decodes one BSON document at the start of `b`; returns it and its length.
pub fn read_document(b: &[u8]) -> Result<(Document, usize), FrameError> {
    let len = validate_document(b, 0)?;
    if len > MAX_WIRE_DOC_SIZE {
        return err(format!("document of {len} bytes is larger than the maximum"));
    }
    let invalid = |e: bson::error::Error| FrameError(format!("invalid BSON: {e}"));
    let raw = bson::raw::RawDocument::from_bytes(&b[..len]).map_err(invalid)?;
    Ok((crate::value::decode_document(raw).map_err(invalid)?, len))
}

/// Validates one BSON document at the start of `b` and copies it out undecoded; returns it and
/// its length.
pub fn read_raw_document(b: &[u8]) -> Result<(RawDocumentBuf, usize), FrameError> {
    let len = validate_document(b, 0)?;
    if len > MAX_WIRE_DOC_SIZE {
        return err(format!("document of {len} bytes is larger than the maximum"));
    }
    let raw = RawDocumentBuf::from_bytes(b[..len].to_vec())
        .map_err(|e| FrameError(format!("invalid BSON: {e}")))?;
    Ok((raw, len))
}

fn decode_msg(body: &[u8]) -> Result<Request, FrameError> {
    let flags = read_i32(body, 0)? as u32;
    let known = FLAG_CHECKSUM | FLAG_MORE_TO_COME | FLAG_EXHAUST_ALLOWED;
    if flags & !known & 0xffff != 0 {
        return err(format!("unknown required OP_MSG flag bits {flags:#x}"));
    }
    let mut end = body.len();
    if flags & FLAG_CHECKSUM != 0 {
        if end < 8 {
            return err("missing checksum");
        }
        end -= 4;
    }
    let mut pos = 4;
    let mut command: Option<Document> = None;
    let mut sequences: Vec<DocumentSequence> = Vec::new();
    while pos < end {
        let kind = body[pos];
        pos += 1;
        match kind {
            0 => {
                if command.is_some() {
                    return err("more than one kind 0 section");
                }
                let (d, n) = read_document(&body[pos..end])?;
                pos += n;
                command = Some(d);
            }
            1 => {
                let size = read_i32(body, pos)?;
                if size < 5 || pos + size as usize > end {
                    return err("invalid document sequence size");
                }
                let seq_end = pos + size as usize;
                let (identifier, mut p) = read_cstring(&body[..seq_end], pos + 4)?;
                let mut documents = Vec::new();
                while p < seq_end {
                    let (d, n) = read_raw_document(&body[p..seq_end])?;
                    p += n;
                    documents.push(d);
                }
                pos = seq_end;
                if sequences.iter().any(|s| s.identifier == identifier) {
                    return err(format!("duplicate document sequence {identifier}"));
                }
                sequences.push(DocumentSequence { identifier, documents });
            }
            other => return err(format!("unknown section kind {other}")),
        }
    }
    let Some(command) = command else { return err("OP_MSG without a kind 0 section") };
    if let Some(s) = sequences.iter().find(|s| command.contains_key(&s.identifier)) {
        return err(format!("duplicate field {} in document sequence", s.identifier));
    }
    Ok(Request::Msg { command, sequences, more_to_come: flags & FLAG_MORE_TO_COME != 0 })
}

fn decode_query(body: &[u8]) -> Result<Request, FrameError> {
    let _flags = read_i32(body, 0)?;
    let (collection, pos) = read_cstring(body, 4)?;
    let _skip = read_i32(body, pos)?;
    let _n = read_i32(body, pos + 4)?;
    let (mut query, n) = read_document(body.get(pos + 8..).unwrap_or(&[]))?;
    let rest = pos + 8 + n;
    if rest < body.len() {
        read_document(&body[rest..])?;
    }
    if let Some(bson::Bson::Document(inner)) = query.get("$query").or_else(|| query.get("query")) {
        let mut q = inner.clone();
        if let Some(rp) = query.get("$readPreference") {
            q.insert("$readPreference", rp.clone());
        }
        query = q;
    }
    Ok(Request::Query { collection, query })
}

/// Checks the structure of a BSON document at the start of `b`; returns its length.
pub fn validate_document(b: &[u8], depth: usize) -> Result<usize, FrameError> {
    if depth > MAX_DEPTH {
        return err(format!("document nested deeper than {MAX_DEPTH} levels"));
    }
    let len = read_i32(b, 0)?;
    if len < 5 || len as usize > b.len() {
        return err(format!("invalid document length {len}"));
    }
    let len = len as usize;
    if b[len - 1] != 0 {
        return err("document not terminated by a zero byte");
    }
    let doc = &b[..len - 1];
    let mut pos = 4;
    while pos < doc.len() {
        let t = doc[pos];
        pos += 1;
        let (_, p) = cstring_at(doc, pos)?;
        pos = p;
        let rest = &doc[pos..];
        let need = |n: usize| if rest.len() >= n { Ok(n) } else { err("truncated element") };
        let size = match t {
            0x01 | 0x09 | 0x11 | 0x12 => need(8)?,
            0x07 => need(12)?,
            0x08 => {
                need(1)?;
                if rest[0] > 1 {
                    return err("invalid boolean");
                }
                1
            }
            0x10 => need(4)?,
            0x13 => need(16)?,
            0x06 | 0x0A | 0xFF | 0x7F => 0,
            0x02 | 0x0D | 0x0E => string_len(rest)?,
            0x03 | 0x04 => validate_document(rest, depth + 1)?,
            0x05 => {
                let l = read_i32(rest, 0)?;
                if l < 0 || rest.len() < 5 + l as usize {
                    return err("invalid binary length");
                }
                // The old binary subtype repeats the length inside the data.
                if rest[4] == 0x02 && (l < 4 || read_i32(rest, 5)? != l - 4) {
                    return err("invalid old binary inner length");
                }
                5 + l as usize
            }
            0x0B => {
                let (_, p1) = cstring_at(rest, 0)?;
                let (_, p2) = cstring_at(rest, p1)?;
                p2
            }
            0x0C => {
                let s = string_len(rest)?;
                need(s + 12)?
            }
            0x0F => {
                let total = read_i32(rest, 0)?;
                if total < 14 || total as usize > rest.len() {
                    return err("invalid code with scope length");
                }
                let s = string_len(&rest[4..])?;
                let d = validate_document(&rest[4 + s..], depth + 1)?;
                if 4 + s + d != total as usize {
                    return err("inconsistent code with scope length");
                }
                total as usize
            }
            other => return err(format!("unknown BSON element type {other:#x}")),
        };
        pos += size;
    }
    if pos != doc.len() {
        return err("element overruns its document");
    }
    Ok(len)
}

fn string_len(b: &[u8]) -> Result<usize, FrameError> {
    let l = read_i32(b, 0)?;
    if l < 1 || b.len() < 4 + l as usize {
        return err("invalid string length");
    }
    let l = l as usize;
    if b[4 + l - 1] != 0 {
        return err("string not terminated");
    }
    std::str::from_utf8(&b[4..4 + l - 1])
        .map_err(|_| FrameError("invalid UTF-8 in string".into()))?;
    Ok(4 + l)
}

/// Encodes an OP_MSG reply.
pub fn encode_msg(request_id: i32, response_to: i32, body: &Document) -> Vec<u8> {
    msg_frame(request_id, response_to, &body.to_vec().unwrap_or_default())
}

/// Encodes an OP_MSG reply whose body is already BSON bytes.
pub fn encode_msg_raw(request_id: i32, response_to: i32, body: &RawDocument) -> Vec<u8> {
    msg_frame(request_id, response_to, body.as_bytes())
}

fn msg_frame(request_id: i32, response_to: i32, doc: &[u8]) -> Vec<u8> {
    let len = 16 + 4 + 1 + doc.len();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&(len as i32).to_le_bytes());
    out.extend_from_slice(&request_id.to_le_bytes());
    out.extend_from_slice(&response_to.to_le_bytes());
    out.extend_from_slice(&OP_MSG.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.push(0);
    out.extend_from_slice(doc);
    out
}

/// Encodes an OP_REPLY with one document.
pub fn encode_reply(
    request_id: i32,
    response_to: i32,
    body: &Document,
    query_failure: bool,
) -> Vec<u8> {
    reply_frame(request_id, response_to, &body.to_vec().unwrap_or_default(), query_failure)
}

/// Encodes an OP_REPLY with one document that is already BSON bytes.
pub fn encode_reply_raw(
    request_id: i32,
    response_to: i32,
    body: &RawDocument,
    query_failure: bool,
) -> Vec<u8> {
    reply_frame(request_id, response_to, body.as_bytes(), query_failure)
}

fn reply_frame(request_id: i32, response_to: i32, doc: &[u8], query_failure: bool) -> Vec<u8> {
    let len = 16 + 20 + doc.len();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&(len as i32).to_le_bytes());
    out.extend_from_slice(&request_id.to_le_bytes());
    out.extend_from_slice(&response_to.to_le_bytes());
    out.extend_from_slice(&OP_REPLY.to_le_bytes());
    out.extend_from_slice(&(if query_failure { 2i32 } else { 0i32 }).to_le_bytes());
    out.extend_from_slice(&0i64.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&1i32.to_le_bytes());
    out.extend_from_slice(doc);
    out
}
