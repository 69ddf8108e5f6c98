using Microsoft.Extensions.Logging;
using PatientStream.Host.Commands;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

[Collection(PipelineServers.Name)]
public sealed class EdgeCommandTests(KafkaFixture kafka, PlainMosquitto mosquitto)
{
    [Fact]
    public async Task Edge_prints_ready_once_subscribed_and_stops_cleanly_when_cancelled()
    {
        using var serverData = new TempFolder("edge-consent");
        await using var consent = ServerHost.Build(new ServerSettings(FreePort.Next(), serverData.Path, "sqlite", null));
        await consent.StartAsync();
        using var data = new TempFolder("edge-cmd");
        var settings = new EdgeSettings($"{MosquittoFixture.Host}:{mosquitto.Port}", null, null, null, kafka.BootstrapServers,
            consent.Urls.First(), data.Path, $"edge-{Guid.NewGuid():N}");
        Assert.Empty(settings.Problems());
        var output = new ReadyWriter();
        using var stop = new CancellationTokenSource();
        var run = EdgeCommand.RunAsync(settings, output, LogLevel.Warning, stop.Token);

        var ready = await output.Ready.WaitAsync(PipelineServers.Deadline);
        Assert.StartsWith("READY edge", ready, StringComparison.Ordinal);
        Assert.Contains("$share/edge/ps/v1/devices/+/readings", ready, StringComparison.Ordinal);
        await stop.CancelAsync();

        Assert.Equal(0, await run.WaitAsync(PipelineServers.Deadline));
        Assert.True(File.Exists(Path.Combine(data.Path, "buffer.db")));
        await consent.StopAsync();
    }
}
