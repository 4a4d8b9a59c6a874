// The file and line formats the store reads are its API too: every client of the store imports
// them with it, so a caller of `importTasks` need not know they live in a parser-only module.

@_exported import FeedbackFormats
