#pragma once

namespace recsys::tracking {

// Tags that MLflow itself defines (mlflow/utils/mlflow_tags.py).
inline constexpr const char* kRunNameTag = "mlflow.runName";
inline constexpr const char* kUserTag = "mlflow.user";
inline constexpr const char* kSourceTypeTag = "mlflow.source.type";
inline constexpr const char* kSourceNameTag = "mlflow.source.name";
inline constexpr const char* kGitCommitTag = "mlflow.source.git.commit";
inline constexpr const char* kLoggedModelsTag = "mlflow.log-model.history";
inline constexpr const char* kDatasetContextTag = "mlflow.data.context";

// Tags this project sets on runs and model versions, read by registration and promotion.
inline constexpr const char* kDatasetNameTag = "recsys.dataset.name";
inline constexpr const char* kDatasetFingerprintTag = "recsys.dataset.fingerprint";
inline constexpr const char* kSplitTag = "recsys.split";
inline constexpr const char* kHostTag = "recsys.host";
inline constexpr const char* kSoftwareVersionTag = "recsys.version";
inline constexpr const char* kErrorTag = "recsys.error";
inline constexpr const char* kPromotionTag = "recsys.promotion";
// A random key sent with runs/create, which lets a retry find the run that a lost attempt
// started.
inline constexpr const char* kCreateRequestTag = "recsys.create_request";
// A model version's copy of a run metric: "metric.ndcg_at_10" = "0.4123".
inline constexpr const char* kMetricTagPrefix = "metric.";

}  // namespace recsys::tracking
