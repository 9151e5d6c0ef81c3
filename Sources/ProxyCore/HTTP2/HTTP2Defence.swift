import NIOHPACK
import NIOHTTP2

/// A limit or defence of an HTTP/2 connection that fired (`portcullis_http2_defences_total{reason}`),
/// and what it means for the connection.
public enum HTTP2Defence: String, Sendable, CaseIterable {
    /// More RST_STREAM frames than `max_resets_per_second` (Rapid Reset, CVE-2023-44487).
    case rapidReset = "rapid_reset"
    /// More CONTINUATION frames than `max_continuation_frames` (CVE-2024-27316).
    case continuationFlood = "continuation_flood"
    /// A header block past `max_header_block`.
    case headerBlockTooLarge = "header_block_too_large"
    /// A header list past `limits.header_bytes` (within the block limit): 431 on that stream.
    case headerListTooLarge = "header_list_too_large"
    /// More SETTINGS, PING or PRIORITY frames than `max_control_frames_per_second`.
    case controlFrameFlood = "control_frame_flood"
    /// More empty DATA frames in a row than `max_empty_data_frames`.
    case emptyDataFlood = "empty_data_flood"
    /// Too many stream errors (malformed requests, streams past the limit) on one connection.
    case streamErrorFlood = "stream_error_flood"
    /// A stream opened past `max_concurrent_streams` (refused with REFUSED_STREAM).
    case maxConcurrentStreams = "max_concurrent_streams"
    /// A stream whose client took nothing for `send_timeout` (a window kept at zero): reset.
    case sendTimeout = "send_timeout"
    /// A malformed request on one stream (reset with PROTOCOL_ERROR).
    case malformedStream = "malformed_stream"
    /// Any other protocol error of the connection: GOAWAY with its code.
    case protocolError = "protocol_error"

    /// What an error swift-nio-http2 reports on the connection's pipeline means. Every
    /// connection error has been answered with GOAWAY by then; the connection is closed next. A
    /// stream error has reset its stream; the connection goes on.
    public static func classify(_ error: any Error) -> (defence: HTTP2Defence, closesConnection: Bool) {
        switch error {
        case is NIOHTTP2Errors.ExcessiveRSTFrames: return (.rapidReset, true)
        case is NIOHTTP2Errors.ExcessiveContinuationFrames: return (.continuationFlood, true)
        case is NIOHTTP2Errors.ExcessivelyLargeHeaderBlock, is NIOHPACKErrors.MaxHeaderListSizeViolation:
            return (.headerBlockTooLarge, true)
        case is NIOHTTP2Errors.ExcessiveControlFrames: return (.controlFrameFlood, true)
        case is NIOHTTP2Errors.ExcessiveEmptyDataFrames: return (.emptyDataFlood, true)
        case is NIOHTTP2Errors.ExcessiveStreamErrors, is NIOHTTP2Errors.ExcessiveNumberOfGlitches:
            return (.streamErrorFlood, true)
        case is NIOHTTP2Errors.MaxStreamsViolation: return (.maxConcurrentStreams, false)
        // Errors of one stream's request (swift-nio-http2 raises these as stream errors), and
        // frames for streams that are gone: the stream is reset, the connection stays.
        case is NIOHTTP2Errors.MissingPseudoHeader, is NIOHTTP2Errors.DuplicatePseudoHeader,
            is NIOHTTP2Errors.PseudoHeaderAfterRegularHeader, is NIOHTTP2Errors.UnknownPseudoHeader,
            is NIOHTTP2Errors.UnsupportedPseudoHeader, is NIOHTTP2Errors.InvalidPseudoHeaders,
            is NIOHTTP2Errors.MissingHostHeader, is NIOHTTP2Errors.DuplicateHostHeader,
            is NIOHTTP2Errors.EmptyPathHeader, is NIOHTTP2Errors.InvalidStatusValue,
            is NIOHTTP2Errors.TrailersWithoutEndStream, is NIOHTTP2Errors.InvalidHTTP2HeaderFieldName,
            is NIOHTTP2Errors.InvalidHTTP2HeaderFieldValue, is NIOHTTP2Errors.ForbiddenHeaderField,
            is NIOHTTP2Errors.InvalidPseudoHeaderValue, is NIOHTTP2Errors.ContentLengthViolated,
            is NIOHTTP2Errors.ContentLengthHeadersMismatch, is NIOHTTP2Errors.ContentLengthHeaderNegative,
            is NIOHTTP2Errors.ContentLengthHeaderMalformedValue:
            return (.malformedStream, false)
        case is NIOHTTP2Errors.StreamClosed, is NIOHTTP2Errors.NoSuchStream, is NIOHTTP2Errors.BadStreamStateTransition,
            is NIOHTTP2Errors.StreamError:
            return (.malformedStream, false)
        default:
            return (.protocolError, true)
        }
    }
}
