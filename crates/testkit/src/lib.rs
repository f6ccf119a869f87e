//! Test machinery for piisweep, kept out of the product: the labelled
//! synthetic corpus ([`corpus`], and the `piisweep-corpus` program), the code
//! path the fuzz targets drive ([`fuzzing`]), and the seeded PRNG the tests
//! share ([`rng`]). Used by piisweep's tests, benches and fuzz targets only.

pub mod corpus;
#[doc(hidden)]
pub mod fuzzing;
pub mod ppt97;
pub mod pst;
pub mod rng;
pub mod word97;
