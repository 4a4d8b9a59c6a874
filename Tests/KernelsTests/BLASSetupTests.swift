// OpenBLAS's kernel family: chosen from the CPU's flags when the library fell back to Prescott.
import Testing
@testable import Kernels

@Suite struct BLASSetupTests {
    @Test func theNewestFamilyEveryFlagAllowsIsChosen() {
        #expect(BLASSetup.bestCore(flags: ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"]) == "SkylakeX")
        #expect(BLASSetup.bestCore(flags: ["avx2", "fma", "avx512f"]) == "Haswell")
        #expect(BLASSetup.bestCore(flags: ["avx", "avx2"]) == nil)
        #expect(BLASSetup.bestCore(flags: []) == nil)
    }

    /// On a CPU with AVX2 and FMA, whatever OpenBLAS guessed at load, the engine's products run
    /// on kernels at least as new as Haswell's: never the SSE3 fallback.
    @Test func productsNeverRunOnTheSSE3FallbackWhereAVX2Exists() {
        let flags = BLASSetup.cpuFlags()
        guard BLASSetup.bestCore(flags: flags) != nil else { return }
        let a = [Float](repeating: 1, count: 4), b = [Float](repeating: 2, count: 4)
        var c = [Float](repeating: 0, count: 4)
        MatrixProduct.multiply(m: 2, n: 2, k: 2, a: a, b: b, c: &c)
        #expect(c == [4, 4, 4, 4])
        #expect(BLASSetup.coreName != "Prescott")
    }
}
