//! Security states (RFC 4033 §5) and the Extended DNS Errors (RFC 8914) that
//! explain a failure to the client.

use std::fmt;

/// The DNSSEC status of an RRset or of a whole answer, RFC 4033 §5.
///
/// Ordered from best to worst so that the status of a combination (a CNAME
/// chain, an answer plus its denial proof) is the `max` of its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Security {
    /// A chain of signed DNSKEY and DS RRs from a trust anchor authenticates
    /// the data. Only this state earns AD=1.
    Secure,
    /// Provably no chain of trust (unsigned delegation, unsupported algorithm,
    /// NSEC3 opt-out, negative trust anchor, no trust anchor configured).
    Insecure,
    /// Not determined: validation disabled for this query (CD=1) or no
    /// anchor covers the name.
    Indeterminate,
    /// A chain of trust should exist but does not validate: SERVFAIL.
    Bogus,
}

impl Security {
    /// Combines two statuses: the result is as secure as the weakest part.
    pub fn and(self, other: Security) -> Security {
        self.max(other)
    }

    pub fn is_secure(self) -> bool {
        self == Security::Secure
    }
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Security::Secure => "secure",
            Security::Insecure => "insecure",
            Security::Indeterminate => "indeterminate",
            Security::Bogus => "bogus",
        })
    }
}

/// Extended DNS Error info codes used by anchord (RFC 8914 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum EdeCode {
    Other = 0,
    UnsupportedDnskeyAlgorithm = 1,
    UnsupportedDsDigestType = 2,
    StaleAnswer = 3,
    DnssecIndeterminate = 5,
    DnssecBogus = 6,
    SignatureExpired = 7,
    SignatureNotYetValid = 8,
    DnskeyMissing = 9,
    RrsigsMissing = 10,
    NoZoneKeyBitSet = 11,
    NsecMissing = 12,
    CachedError = 13,
    NotReady = 14,
    Blocked = 15,
    Prohibited = 18,
    NoReachableAuthority = 22,
    NetworkError = 23,
    InvalidData = 24,
    UnsupportedNsec3Iterations = 27,
}

/// An Extended DNS Error: a code plus EXTRA-TEXT naming the zone and reason.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExtendedError {
    pub code: EdeCode,
    pub text: String,
}

impl ExtendedError {
    pub fn new(code: EdeCode, text: impl Into<String>) -> Self {
        Self {
            code,
            text: text.into(),
        }
    }
}

impl fmt::Display for ExtendedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "EDE {} ({:?}): {}",
            self.code as u16, self.code, self.text
        )
    }
}
