//! Which SIMD instruction sets this CPU has, for the batch kernels' runtime dispatch.
//!
//! Wheels are built for the x86-64 baseline (SSE2) so they run everywhere;
//! the hot kernels are compiled a second time with AVX2 + FMA and chosen at
//! run time when the CPU has them. The check is cached by the standard library.

/// True when the CPU can run code compiled with `#[target_feature(enable = "avx2,fma")]`.
#[inline]
pub fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The instruction set the batch kernels use on this machine: "avx2+fma" or "baseline".
pub fn kernel_isa() -> &'static str {
    if has_avx2_fma() {
        "avx2+fma"
    } else {
        "baseline"
    }
}
