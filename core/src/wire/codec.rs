//! Encodes and decodes the two envelopes. Decoding never panics; an envelope whose body this
//! version does not know (a newer peer) is reported so it can be ignored.

use prost::Message;

use super::error::DecodeError;
use super::proto::{GlassesToPhone, PhoneToGlasses};

/// Encodes any envelope to its protobuf bytes.
pub fn encode<M: Message>(envelope: &M) -> Vec<u8> {
    envelope.encode_to_vec()
}

/// Decodes a glasses→phone envelope received from the link.
pub fn decode_glasses(bytes: &[u8]) -> Result<GlassesToPhone, DecodeError> {
    let envelope =
        GlassesToPhone::decode(bytes).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if envelope.body.is_none() {
        return Err(DecodeError::UnknownBody {
            message_id: envelope.message_id,
        });
    }
    Ok(envelope)
}

/// Decodes a phone→glasses envelope (used by the glasses simulator and by tests).
pub fn decode_phone(bytes: &[u8]) -> Result<PhoneToGlasses, DecodeError> {
    let envelope =
        PhoneToGlasses::decode(bytes).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if envelope.body.is_none() {
        return Err(DecodeError::UnknownBody {
            message_id: envelope.message_id,
        });
    }
    Ok(envelope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::proto::{Ack, Ping, glasses_to_phone, phone_to_glasses};

    #[test]
    fn round_trip() {
        let env = PhoneToGlasses {
            message_id: 7,
            reply_to: 0,
            body: Some(phone_to_glasses::Body::Ping(Ping {})),
        };
        assert_eq!(decode_phone(&encode(&env)).unwrap(), env);
    }

    #[test]
    fn unknown_oneof_case_is_tolerated_as_unknown_body() {
        // field 99 (unknown to v1), length-delimited, empty; plus message_id = 5
        let bytes = [0x08, 0x05, 0x9a, 0x06, 0x00];
        assert_eq!(
            decode_glasses(&bytes),
            Err(DecodeError::UnknownBody { message_id: 5 })
        );
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        assert!(matches!(
            decode_glasses(&[0xff; 8]),
            Err(DecodeError::Malformed(_))
        ));
        let ack = GlassesToPhone {
            message_id: 1,
            reply_to: 3,
            body: Some(glasses_to_phone::Body::Ack(Ack {})),
        };
        let mut bytes = encode(&ack);
        bytes.truncate(bytes.len() - 1);
        assert!(decode_glasses(&bytes).is_err());
    }
}
