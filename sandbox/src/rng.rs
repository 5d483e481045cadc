//! Deterministic randomness: everything the sandbox invents (seeded data, ids, fault
//! decisions, jitter, file bytes) is a pure function of the configured seed, so a failing
//! test can be replayed exactly. A counter-based hash is used instead of a shared RNG
//! because concurrent handlers then need no lock to draw a number.

/// SplitMix64 finaliser: a cheap, well-distributed 64-bit mix.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of the seed, a stream name and a counter: independent streams never correlate.
pub fn draw(seed: u64, stream: &str, n: u64) -> u64 {
    let mut h = mix(seed ^ 0xA076_1D64_78BD_642F);
    for b in stream.bytes() {
        h = mix(h ^ u64::from(b));
    }
    mix(h ^ n.wrapping_mul(0xE703_7ED1_A0B4_28DB))
}

/// A uniform float in [0, 1) from a 64-bit hash.
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// A small sequential generator for building seeded data in one pass.
#[derive(Debug, Clone)]
pub struct SeqRng {
    state: u64,
}

impl SeqRng {
    pub fn new(seed: u64, stream: &str) -> Self {
        SeqRng {
            state: draw(seed, stream, 0),
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// Uniform in `0..n` (n > 0); modulo bias is irrelevant at these sizes.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    pub fn range(&mut self, lo: u64, hi_inclusive: u64) -> u64 {
        lo + self.below(hi_inclusive.saturating_sub(lo) + 1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        unit(self.next_u64()) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A Zoom-looking opaque id (22 url-safe characters, like `KDcuGIm1QgePTO8WbOqwIQ`).
pub fn zoom_id(seed: u64, stream: &str, n: u64) -> String {
    let a = draw(seed, stream, n);
    let b = draw(seed ^ 0x5555, stream, n);
    let mut out = String::with_capacity(22);
    for i in 0..22u32 {
        let bits = if i < 11 { a >> (i * 5) } else { b >> ((i - 11) * 5) };
        out.push(char::from(URL_SAFE[(bits & 63) as usize]));
    }
    out
}

/// An unguessable token for secrets (access tokens, page tokens): not derived from the
/// seed, because a predictable bearer token would let a test pass without authenticating.
pub fn secret_token(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let r: u64 = rand::random();
        for i in 0..10 {
            if out.len() == len {
                break;
            }
            out.push(char::from(URL_SAFE[((r >> (i * 6)) & 63) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_distinct() {
        assert_eq!(draw(1, "a", 5), draw(1, "a", 5));
        assert_ne!(draw(1, "a", 5), draw(1, "b", 5));
        assert_ne!(draw(1, "a", 5), draw(2, "a", 5));
        assert_eq!(zoom_id(3, "user", 1).len(), 22);
        assert_ne!(secret_token(40), secret_token(40));
    }
}
