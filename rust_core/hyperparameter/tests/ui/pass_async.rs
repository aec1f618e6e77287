use hyperparameter::*;

async fn step() -> i64 {
    get_param!(job.step, 0)
}

// A future holding a scope across `.await` is `Send`: it can be spawned on a work-stealing
// runtime.
fn assert_send<T: Send>(_: &T) {}

fn main() {
    let fut = async {
        with_params! {
            @set job.step = 3;
            step().await + step().await
        }
    };
    assert_send(&fut);
    assert_eq!(futures::executor::block_on(fut), 6);
}
