#include "tracking/mock_mlflow_server.hpp"

namespace recsys::testing {

MockMlflowServer::MockMlflowServer() {
  experiments_.push_back({"0", "Default", "mlflow-artifacts:/0", "active"});
  register_tracking_routes();
  register_registry_routes();
  register_artifact_routes();
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) {
    throw std::runtime_error("mock MLflow server cannot bind to 127.0.0.1");
  }
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace recsys::testing
