// The settings a training command reads from --config: their defaults are the type's own, so a
// command names them once, both to lay the file over and to complete an older run's record.
import Finetuning
import OfflineRL
import PolicyOptimization
import PreferenceOptimization
import RewardModeling

protocol RunSettings: Codable {
    init()
    func validate() throws
}

extension PretrainingConfiguration: RunSettings {}
extension SupervisedConfiguration: RunSettings {}
extension RewardTrainingConfiguration: RunSettings {}
extension PPOConfiguration: RunSettings {}
extension PreferenceConfiguration: RunSettings {}
extension ILQLConfiguration: RunSettings {}
