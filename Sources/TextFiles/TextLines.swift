// Lines of a text file as people write them: LF or CRLF. Swift reads "\r\n" as one Character, so
// splitting at "\n" alone leaves a CRLF file as one line.

extension StringProtocol {
    /// The lines between LF and CRLF breaks, blank ones kept so that an index is its line number − 1.
    /// Other Unicode line separators stay inside a line, where a JSON string may hold them raw.
    public var fileLines: [SubSequence] {
        split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
    }
}
