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

    [Fact]
    public async Task Parts_left_running_by_a_killed_demo_are_stopped_by_the_next_demo_on_the_same_folder()
    {
        using var data = new TempFolder("e2e-orphans");
        var folder = data.Combine("demo");
        IReadOnlyList<int> orphans;
        await using (var killed = DemoProcess.Start(folder, "--port", FreePort.Next().ToString(CultureInfo.InvariantCulture), "--patients", "4"))
        {
            await killed.WaitForLineAsync("server: http", s_deadline);
            ServerProcess.SendSignal(killed.Pid, Signals.Kill);
            await killed.Exited.WaitAsync(s_deadline);
            orphans = killed.ProcessesUsingDataDirectory();
        }
        Assert.NotEmpty(orphans);

        await using var next = DemoProcess.Start(folder, "--port", FreePort.Next().ToString(CultureInfo.InvariantCulture), "--patients", "4");
        await next.WaitForLineAsync("server: http", s_deadline);

        Assert.Empty(orphans.Intersect(next.ProcessesUsingDataDirectory()));
        var exit = await next.StopAsync(s_deadline);
        Assert.True(exit is 0 or 143, $"exit code {exit}\n{next.Output}");
        Assert.Empty(next.ProcessesUsingDataDirectory());
    }
}
