import java.io.PrintWriter;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Runs the named JUnit test classes with the JUnit Platform launcher (the device machine has no Maven), printing one
 * line per test (OK / SKIPPED with the reason / FAILED with the message) and a summary; exit 1 on any failure.
 *
 *   RunTests org.vim4j.CudaGoldenTest org.vim4j.GoldenParityTest ...
 */
public final class RunTests {
    public static void main(String[] args) {
        LauncherDiscoveryRequestBuilder b = LauncherDiscoveryRequestBuilder.request();
        for (String c : args) {
            b.selectors(DiscoverySelectors.selectClass(c));
        }
        LauncherDiscoveryRequest request = b.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        TestExecutionListener lines = new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                System.out.println("SKIPPED " + id.getDisplayName() + ": " + reason);
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                if (!id.isTest()) {
                    return;
                }
                String what = id.getDisplayName();
                switch (r.getStatus()) {
                    case SUCCESSFUL -> System.out.println("OK " + what);
                    case ABORTED -> System.out.println("SKIPPED " + what + ": " + r.getThrowable().map(Throwable::getMessage).orElse(""));
                    case FAILED -> System.out.println("FAILED " + what + ": " + r.getThrowable().map(Throwable::toString).orElse(""));
                }
            }
        };
        launcher.execute(request, summary, lines);
        TestExecutionSummary s = summary.getSummary();
        s.printTo(new PrintWriter(System.out));
        s.printFailuresTo(new PrintWriter(System.out), 20);
        System.exit(s.getTotalFailureCount() == 0 ? 0 : 1);
    }
}
