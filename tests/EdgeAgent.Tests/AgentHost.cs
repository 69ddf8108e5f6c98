using System.Text.Json;
using PatientStream.EdgeAgent.Tests.Gate;
using PatientStream.Kafka;
using PatientStream.Mqtt;

namespace PatientStream.EdgeAgent.Tests;

/// <summary>What a child agent process runs with (written as JSON by the test that starts it).</summary>
internal sealed record AgentHostConfig(
    string MqttHost, int MqttPort, string ClientId, string KafkaBootstrap, string Topic, string Folder,
    IReadOnlyDictionary<string, string> DevicePatients, IReadOnlyList<string> PermittedTypes);

/// <summary>
/// Entry point of this assembly when started as <c>dotnet PatientStream.EdgeAgent.Tests.dll edge-agent config.json</c>:
/// a real edge agent process that a crash test can kill -9. Under the test runner this Main is not used.
/// </summary>
public static class AgentHost
{
    public const string ReadyLine = "edge agent ready";

    public static async Task<int> Main(string[] args)
    {
        if (args is not ["edge-agent", var configPath])
        {
            await Console.Error.WriteLineAsync("usage: edge-agent <config.json>");
            return 2;
        }
        var config = JsonSerializer.Deserialize<AgentHostConfig>(await File.ReadAllTextAsync(configPath))!;
        var devices = new DeviceTable();
        var consent = new ConsentTable();
        foreach (var (device, patient) in config.DevicePatients)
        {
            devices.Add(device, patient);
            consent.Permit(patient, [.. config.PermittedTypes]);
        }
        var options = EdgeAgentOptions.InFolder(config.Folder,
            new MqttClientOptions { Host = config.MqttHost, Port = config.MqttPort, ClientId = config.ClientId },
            new KafkaOptions { BootstrapServers = config.KafkaBootstrap, ClientId = config.ClientId }) with
        {
            Forwarder = new EdgeAgent.Buffer.ForwarderOptions { Topic = config.Topic },
        };
        using var agent = new EdgeAgentService(options, devices, consent);
        using var stop = new CancellationTokenSource();
        using var _ = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        var run = agent.RunAsync(stop.Token);
        await agent.Ready;
        Console.WriteLine(ReadyLine);
        await run;
        return 0;
    }
}
