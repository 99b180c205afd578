import java.lang.reflect.Field;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts DynamoDB Local bound to 127.0.0.1 only. The stock jar has no host flag and Jetty
 * listens on every interface, which would expose an unauthenticated database to the network.
 * Arguments are DynamoDB Local's own (-port, -inMemory, -dbPath, ...).
 *
 * Compiled on demand by the Go package localstack/emulators into localstack/.build/ (against the
 * DynamoDBLocal.jar that localstack/setup.sh installs) and run from there.
 */
public class LoopbackDynamoDB {
    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field f = DynamoDBProxyServer.class.getDeclaredField("server");
        f.setAccessible(true);
        Server jetty = (Server) f.get(proxy);
        for (Connector c : jetty.getConnectors()) {
            if (c instanceof ServerConnector) {
                ((ServerConnector) c).setHost("127.0.0.1");
            }
        }
        proxy.start();
        System.out.println("LoopbackDynamoDB listening on 127.0.0.1");
        proxy.join();
    }
}
