// Readiness probe used by deploy/local/kafka.sh when the repo's node_modules (kafkajs) is absent.
// Run as a single-file program: java -cp "libs/*" KafkaReady.java BOOTSTRAP IDS(1,2,3) SECONDS
// Exits 0 once an AdminClient sees every listed broker id and a controller, 1 on timeout.
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;

public class KafkaReady {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    List<Integer> want = Arrays.stream(args[1].split(",")).map(Integer::parseInt).collect(Collectors.toList());
    long deadline = System.currentTimeMillis() + Long.parseLong(args[2]) * 1000L;
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
    String last = "no answer";
    try (Admin admin = Admin.create(p)) {
      while (System.currentTimeMillis() < deadline) {
        try {
          DescribeClusterResult r = admin.describeCluster();
          Set<Integer> seen = r.nodes().get(3, TimeUnit.SECONDS).stream().map(Node::id).collect(Collectors.toSet());
          Node controller = r.controller().get(3, TimeUnit.SECONDS);
          last = "client sees brokers " + seen + ", controller " + (controller == null ? "none" : controller.id());
          if (seen.containsAll(want) && controller != null && controller.id() >= 0) {
            System.err.println("kafka.sh: " + last);
            return;
          }
        } catch (Exception e) {
          last = String.valueOf(e.getMessage());
        }
        Thread.sleep(500);
      }
    }
    System.err.println("kafka.sh: timed out waiting for a client to see brokers " + want + ": " + last);
    System.exit(1);
  }
}
