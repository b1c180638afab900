// The user derives `Clone` (and `Debug`) on a declaration: the derives apply
// to the generated struct; without a derived `Debug`, the macro's `Debug`
// prints the summary.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant(config(channels = 8))]
#[derive(Debug, Clone)]
pub struct Derived {
    mix: Linear<"{channels}x0e + 4x1o", "{channels}x0e + 4x1o">,
    act: Activation<"{channels}x0e", Silu>,
}

#[equivariant(config(channels = 8))]
#[derive(Clone)]
pub struct CloneOnly {
    mix: Linear<"{channels}x0e + 4x1o", "{channels}x0e + 4x1o">,
}

#[equivariant]
#[derive(Clone, Debug)]
pub struct Outer {
    inner: Derived,
    out: Linear<"8x0e", "1x0e">,
}

fn main() {
    let a = Derived::new(&DerivedConfig::default(), 1);
    let b = a.clone();
    assert_eq!(a.num_params(), b.num_params());
    let derived = format!("{a:?}");
    assert!(derived.starts_with("Derived {"), "{derived}");

    let c = CloneOnly::new(&CloneOnlyConfig::default(), 1).clone();
    let summary = format!("{c:?}");
    assert!(summary.starts_with("CloneOnly"), "{summary}");
    assert!(summary.contains("mix: Linear"), "{summary}");

    let o = Outer::new(&OuterConfig::default(), 2).clone();
    let _ = format!("{o:?}");
}
