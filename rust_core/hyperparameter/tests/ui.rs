//! Compile-time checks of the macros (`trybuild`): programs that must compile, and invalid
//! keys that must not, with the messages pinned in `ui/*.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass_*.rs");
    t.compile_fail("tests/ui/fail_*.rs");
}
