use hyperparameter::*;

fn main() {
    let out = with_params! {
        @set model.lr = 0.01;
        set model.name = "resnet";
        /// the number of layers
        get layers = model.layers or 4;
        params ParamScope::from(&["model.dropout=0.1".to_string()]);
        let lr: f64 = get_param!(model.lr, 0.001);
        let _amp: bool = get_param!(model.amp, false, "use mixed precision");
        lr * layers as f64
    };
    assert_eq!(out, 0.04);
    const K: u64 = key_hash("model.lr");
    assert_eq!(K, hyperparameter::key!("model.lr").hash());
}
