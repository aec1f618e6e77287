use hyperparameter::*;

fn main() {
    let _ = get_param!(model..lr, 1);
}
