use hyperparameter::*;

fn main() {
    let _ = try_get_param!("model lr", 1);
}
