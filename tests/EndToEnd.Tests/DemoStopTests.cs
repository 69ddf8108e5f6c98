using System.Globalization;
using PatientStream.Testing;

namespace PatientStream.EndToEnd.Tests;

public sealed class DemoStopTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Sigterm_while_the_demo_is_starting_stops_every_child_already_running()
    {
        using var data = new TempFolder("e2e-stop");
        await using var demo = DemoProcess.Start(data.Combine("demo"),
            "--port", FreePort.Next().ToString(CultureInfo.InvariantCulture), "--patients", "4", "--duration", "600");

        // Mosquitto, InfluxDB and the server are up; ingest, analytics, edge and the simulator are next.
        await demo.WaitForLineAsync("server: http", s_deadline);
        Assert.NotEmpty(demo.ProcessesUsingDataDirectory());

        var exit = await demo.StopAsync(s_deadline);

        Assert.True(exit is 0 or 143, $"exit code {exit}\n{demo.Output}");
        Assert.Contains("stopped cleanly", demo.Output, StringComparison.Ordinal);
        Assert.Empty(demo.ProcessesUsingDataDirectory());
    }
}
