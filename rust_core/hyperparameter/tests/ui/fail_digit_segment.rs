use hyperparameter::*;

fn main() {
    with_params! {
        @set 1a = 2;
    }
}
