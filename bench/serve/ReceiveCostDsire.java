import dev.dsire.serve.Analyst;
import dev.dsire.serve.DsireHttpServer;
import dev.dsire.serve.ServeLimits;
import dev.dsire.serve.Upload;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;

/**
 * ReceiveCost.java's HTTP measurement for dsire serve's own server (the build's jar), with a stand-in for dsire
 * that answers at once: what receiving and answering one 12.8 MB POST costs, the spectra aside.
 * Usage: java -cp target/dsire.jar bench/serve/ReceiveCostDsire.java [BODIES=120]
 */
public class ReceiveCostDsire {
    public static void main(String[] a) throws Exception {
        int n = a.length > 0 ? Integer.parseInt(a[0]) : 120;
        Analyst answers = new Analyst() {
            @Override
            public Answer predict(String model, Upload upload) {
                return new Answer(true, "{\"bytes\":" + upload.image().byteSize() + "}");
            }

            @Override
            public Answer inspect(Upload upload) {
                return predict(null, upload);
            }

            @Override
            public String models() {
                return "{\"models\":[]}";
            }
        };
        try (DsireHttpServer server = DsireHttpServer.start(new InetSocketAddress("127.0.0.1", 0),
                new ServeLimits(1L << 30, 1, 4, Duration.ofSeconds(60)), answers, Files.createTempDirectory("receive-cost"))) {
            ReceiveCost.post("dsire serve", n, server.address().getPort());
        }
    }
}
