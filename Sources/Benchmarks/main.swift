// rlhf-bench: speed measured in one run and printed as ratios; the suites and their options are
// in BenchCommand.swift. ArgumentParser's entry point, as rlhf's: a usage error exits with status
// 64 before anything runs, an error of a run prints "Error: ..." and exits with status 1.
BenchCommand.main()
