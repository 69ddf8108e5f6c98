using PatientStream.Host.Commands;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

[Collection(PipelineServers.Name)]
public sealed class SimulateCommandTests(PlainMosquitto mosquitto)
{
    [Fact]
    public async Task Simulate_publishes_every_batch_of_every_patient_and_reports_the_totals()
    {
        var settings = new SimulateSettings(Patients: 3, Broker: $"{MosquittoFixture.Host}:{mosquitto.Port}", Faults: null, Duration: 0, Ecg: true,
            IntervalMs: 10, Batches: 4);
        Assert.Empty(settings.Problems());
        var output = new StringWriter();

        var exit = await SimulateCommand.RunAsync(settings, output, CancellationToken.None).WaitAsync(PipelineServers.Deadline);

        Assert.Equal(0, exit);
        Assert.Contains("simulated 3 patient(s): published 12, refused 0, connections 3, faults []", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_stops_cleanly_when_cancelled()
    {
        var settings = new SimulateSettings(2, $"{MosquittoFixture.Host}:{mosquitto.Port}", "duplicates", 0, false, 10, 0);
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();
        var output = new StringWriter();

        Assert.Equal(0, await SimulateCommand.RunAsync(settings, output, stop.Token).WaitAsync(PipelineServers.Deadline));
        Assert.Contains("simulated 2 patient(s)", output.ToString(), StringComparison.Ordinal);
    }
}
