// Run configuration files (Sources/ConfigFiles/ConfigurationFile.swift), laid over the defaults of
// `rlhf pretrain` and `rlhf sft` and checked as those commands check them.
import ConfigFiles
import Finetuning

let inputName = "run.json"

func isTyped(_ error: any Error) -> Bool { error is ConfigurationError }

func fuzz(_ bytes: [UInt8]) throws {
    let url = inputFile(bytes, named: inputName)
    var firstError: (any Error)?
    do {
        _ = try ConfigurationFile.load(PretrainingConfiguration.self, from: url, defaults: PretrainingConfiguration()) {
            try $0.optimization.validate()
        }
    } catch { firstError = error }
    do {
        _ = try ConfigurationFile.load(SupervisedConfiguration.self, from: url, defaults: SupervisedConfiguration()) {
            try $0.optimization.validate()
            try $0.lora?.validate()
        }
    } catch { firstError = firstError ?? error }
    if let firstError { throw firstError }
}
