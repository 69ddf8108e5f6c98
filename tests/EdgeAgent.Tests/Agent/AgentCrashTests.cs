using Xunit.Abstractions;
using System.Text.Json;
using PatientStream.Testing;

namespace PatientStream.EdgeAgent.Tests.Agent;

/// <summary>The agent as a real process, killed with SIGKILL mid-stream and restarted on the same buffer and MQTT session.</summary>
[Collection(EdgeTestGroup.Name)]
public sealed class AgentCrashTests(KafkaFixture kafka, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(120);
    // The broker must keep every message for the agent's session while the agent is down (default cap is 1000).
    private readonly MosquittoFixture _broker = new(new MosquittoOptions { ExtraConfig = "max_queued_messages 0" });
    private readonly TempFolder _folder = new("edge-crash");

    public Task InitializeAsync() => _broker.InitializeAsync();

    [Fact]
    public async Task Killing_the_agent_mid_stream_and_restarting_it_loses_no_batch()
    {
        var topic = KafkaFixture.UniqueTopic("raw");
        string[] devices = ["dev-0", "dev-1", "dev-2", "dev-3", "dev-4"];
        const int perDevice = 700;
        var config = _folder.Combine("agent.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new AgentHostConfig(
            MosquittoFixture.Host, _broker.Port, "edge-crash", kafka.BootstrapServers, topic, _folder.Combine("data"),
            devices.ToDictionary(d => d, d => "Patient/" + d), ["heart-rate"])));
        await using var watcher = new RawTopicWatcher(kafka.BootstrapServers, topic);

        var first = await StartAgentAsync(config);
        await using var publisher = await DevicePublisher.ConnectAsync(_broker.Port, "devices");
        var publishing = DevicePublisher.PublishAsync(publisher, devices, 1, 600, CancellationToken.None);
        await watcher.WaitUntilAsync(seen => seen.Count >= 300, s_deadline, "the first batches in Kafka");
        first.Kill();
        output.WriteLine($"killed with {watcher.Seen.Count} records in Kafka; publisher finished: {publishing.IsCompleted}");
        await first.Exited.WaitAsync(s_deadline);
        await first.DisposeAsync();
        await publishing.WaitAsync(s_deadline);
        // Published while no agent runs: the broker holds these in the agent's persistent session.
        await DevicePublisher.PublishAsync(publisher, devices, 601, perDevice, CancellationToken.None);

        await using var second = await StartAgentAsync(config);
        await watcher.WaitUntilAsync(seen => seen.Select(r => (r.Reading.Device, r.Reading.Batch.Seq)).Distinct().Count() == devices.Length * perDevice,
            s_deadline, "every batch in Kafka after the restart");

        output.WriteLine($"{watcher.Seen.Count} records for {devices.Length * perDevice} batches");
        var arrived = watcher.Seen.Select(r => (r.Reading.Device, r.Reading.Batch.Seq)).ToHashSet();
        foreach (var device in devices)
        {
            for (long seq = 1; seq <= perDevice; seq++)
            {
                Assert.Contains((device, seq), arrived);
            }
        }
        Assert.All(watcher.Seen, r => Assert.Equal("Patient/" + r.Reading.Device, r.Key));
    }

    private async Task<ServerProcess> StartAgentAsync(string config)
    {
        var dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var agent = ServerProcess.Start("edge-agent", dotnet, [typeof(AgentHost).Assembly.Location, "edge-agent", config], _folder.Path);
        await agent.WaitUntilReadyAsync(_ => Task.FromResult(agent.Log.Contains(AgentHost.ReadyLine, StringComparison.Ordinal)), s_deadline);
        return agent;
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        _folder.Dispose();
    }
}
