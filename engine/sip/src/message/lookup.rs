//! Raw header lookup by name, including headers `rsip` keeps only as `Other`.

use rsip::Header;
use rsip::headers::UntypedHeader;
use rsip::prelude::HasHeaders;

use super::normalise::long_name;

/// The raw value of the first header called `name` (case-insensitive; compact forms such as
/// `"i"` are accepted), whether or not `rsip` has a type for it (`Reason`, `RSeq`,
/// `P-Asserted-Identity`, ...).
pub fn header_value<'a>(message: &'a rsip::SipMessage, name: &str) -> Option<&'a str> {
    header_values(message, name).next()
}

/// The raw values of every header called `name`, in message order (each `Via` of a list that
/// [`normalise`](super::normalise) split comes back separately).
pub fn header_values<'a>(
    message: &'a rsip::SipMessage,
    name: &str,
) -> impl Iterator<Item = &'a str> {
    let wanted = long_name(name).to_owned();
    message.headers().iter().filter_map(move |header| {
        let (header_name, value) = name_and_value(header);
        header_name.eq_ignore_ascii_case(&wanted).then_some(value)
    })
}

macro_rules! name_and_value_match {
    ($header:expr; $($variant:ident => $name:literal),* $(,)?) => {
        match $header {
            $(Header::$variant(inner) => ($name, inner.value()),)*
            Header::Other(name, value) => (name.as_str(), value.as_str()),
        }
    };
}

/// The canonical name and the raw value of a header.
fn name_and_value(header: &Header) -> (&str, &str) {
    name_and_value_match!(header;
        Accept => "Accept",
        AcceptEncoding => "Accept-Encoding",
        AcceptLanguage => "Accept-Language",
        AlertInfo => "Alert-Info",
        Allow => "Allow",
        AuthenticationInfo => "Authentication-Info",
        Authorization => "Authorization",
        CSeq => "CSeq",
        CallId => "Call-ID",
        CallInfo => "Call-Info",
        Contact => "Contact",
        ContentDisposition => "Content-Disposition",
        ContentEncoding => "Content-Encoding",
        ContentLanguage => "Content-Language",
        ContentLength => "Content-Length",
        ContentType => "Content-Type",
        Date => "Date",
        ErrorInfo => "Error-Info",
        Event => "Event",
        Expires => "Expires",
        From => "From",
        InReplyTo => "In-Reply-To",
        MaxForwards => "Max-Forwards",
        MimeVersion => "MIME-Version",
        MinExpires => "Min-Expires",
        Organization => "Organization",
        Priority => "Priority",
        ProxyAuthenticate => "Proxy-Authenticate",
        ProxyAuthorization => "Proxy-Authorization",
        ProxyRequire => "Proxy-Require",
        RecordRoute => "Record-Route",
        ReplyTo => "Reply-To",
        Require => "Require",
        RetryAfter => "Retry-After",
        Route => "Route",
        Server => "Server",
        Subject => "Subject",
        SubscriptionState => "Subscription-State",
        Supported => "Supported",
        Timestamp => "Timestamp",
        To => "To",
        Unsupported => "Unsupported",
        UserAgent => "User-Agent",
        Via => "Via",
        Warning => "Warning",
        WwwAuthenticate => "WWW-Authenticate",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &str = "SIP/2.0 183 Session Progress\r\n\
        v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\n\
        f: <sip:a@x>;tag=1\r\n\
        t: <sip:b@y>;tag=2\r\n\
        i: call-1\r\n\
        CSeq: 1 INVITE\r\n\
        RSeq: 988789\r\n\
        Reason: Q.850;cause=16;text=\"Terminated\"\r\n\
        P-Asserted-Identity: <sip:+15551234@carrier>\r\n\
        Content-Length: 0\r\n\r\n";

    #[test]
    fn finds_untyped_and_typed_headers_case_insensitively() {
        let message = super::super::parse(RESPONSE.as_bytes()).expect("valid response");
        assert_eq!(header_value(&message, "rseq"), Some("988789"));
        assert_eq!(
            header_value(&message, "REASON"),
            Some("Q.850;cause=16;text=\"Terminated\"")
        );
        assert_eq!(
            header_value(&message, "p-asserted-identity"),
            Some("<sip:+15551234@carrier>")
        );
        assert_eq!(header_value(&message, "Call-Id"), Some("call-1"));
        assert_eq!(header_value(&message, "i"), Some("call-1"));
        assert_eq!(header_value(&message, "X-Absent"), None);
    }

    #[test]
    fn lists_every_via() {
        let message = super::super::parse(RESPONSE.as_bytes()).expect("valid response");
        let vias: Vec<_> = header_values(&message, "via").collect();
        assert_eq!(
            vias,
            [
                "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1",
                "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2"
            ]
        );
    }
}
