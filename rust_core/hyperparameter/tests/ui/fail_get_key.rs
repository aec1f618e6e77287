use hyperparameter::*;

fn main() {
    with_params! {
        get x = a.$b or 0;
        let _ = x;
    }
}
