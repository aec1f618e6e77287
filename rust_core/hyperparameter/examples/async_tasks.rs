//! Scopes in async code: each task keeps its own values across `.await` while a
//! multi-threaded runtime moves it between workers; a spawned task starts from the frozen
//! snapshot unless it is bound.
//!
//! ```sh
//! cargo run -p hyperparameter@0.7.0 --example async_tasks
//! ```

use hyperparameter::*;

async fn work(id: u32) -> String {
    with_params! {
        @set job.id = id;
        tokio::task::yield_now().await;
        let name = get_param!(job.name, "unnamed".to_string());
        format!("job {} ({name}) on {:?}", get_param!(job.id, 0u32), std::thread::current().id())
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    with_params! {
        @set job.name = "nightly";
        frozen(); // spawned tasks start from this snapshot
        let tasks: Vec<_> = (0..4).map(|i| tokio::spawn(work(i))).collect();
        for t in tasks {
            println!("{}", t.await.unwrap());
        }
        // `bind` carries the current scope (plus its own keys) into a task explicitly.
        let bound = tokio::spawn(ParamScope::parse(["job.id=99"]).unwrap().bind(async {
            get_param!(job.id, 0u32)
        }));
        println!("bound task saw job.id={}", bound.await.unwrap());
    }
}
