//! Printing SDP: CRLF-terminated lines in RFC 4566 order.

use std::fmt::{self, Write as _};
use std::net::IpAddr;

use super::{MediaDescription, SessionDescription};

fn write_connection(f: &mut fmt::Formatter<'_>, address: IpAddr) -> fmt::Result {
    let family = if address.is_ipv4() { "IP4" } else { "IP6" };
    write!(f, "c=IN {family} {address}\r\n")
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = &self.origin;
        let family = if origin.address.is_ipv4() {
            "IP4"
        } else {
            "IP6"
        };
        f.write_str("v=0\r\n")?;
        write!(
            f,
            "o={} {} {} IN {family} {}\r\n",
            origin.username, origin.session_id, origin.session_version, origin.address
        )?;
        write!(f, "s={}\r\n", self.session_name)?;
        if let Some(address) = self.connection {
            write_connection(f, address)?;
        }
        if !self.session_lines.iter().any(|(kind, _)| *kind == 't') {
            f.write_str("t=0 0\r\n")?;
        }
        for (kind, value) in &self.session_lines {
            write!(f, "{kind}={value}\r\n")?;
        }
        for attribute in &self.attributes {
            write!(f, "a={attribute}\r\n")?;
        }
        if let Some(direction) = self.direction {
            write!(f, "a={direction}\r\n")?;
        }
        for media in &self.media {
            write!(f, "{media}")?;
        }
        Ok(())
    }
}

impl fmt::Display for MediaDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut formats = String::new();
        for pt in &self.formats {
            write!(formats, " {pt}")?;
        }
        for other in &self.other_formats {
            write!(formats, " {other}")?;
        }
        write!(
            f,
            "m={} {} {}{formats}\r\n",
            self.kind, self.port, self.protocol
        )?;
        if let Some(address) = self.connection {
            write_connection(f, address)?;
        }
        for (kind, value) in &self.other_lines {
            write!(f, "{kind}={value}\r\n")?;
        }
        for map in &self.rtpmaps {
            write!(
                f,
                "a=rtpmap:{} {}/{}",
                map.payload_type, map.encoding, map.clock_rate
            )?;
            if map.channels != 1 {
                write!(f, "/{}", map.channels)?;
            }
            f.write_str("\r\n")?;
        }
        for (pt, params) in &self.fmtps {
            write!(f, "a=fmtp:{pt} {params}\r\n")?;
        }
        if let Some(ptime) = self.ptime {
            write!(f, "a=ptime:{ptime}\r\n")?;
        }
        if let Some(port) = self.rtcp_port {
            write!(f, "a=rtcp:{port}")?;
            if let Some(address) = self.rtcp_address {
                let family = if address.is_ipv4() { "IP4" } else { "IP6" };
                write!(f, " IN {family} {address}")?;
            }
            f.write_str("\r\n")?;
        }
        for attribute in &self.attributes {
            write!(f, "a={attribute}\r\n")?;
        }
        write!(f, "a={}\r\n", self.direction)
    }
}
