using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using PatientStream.EdgeAgent.Gate;
using PatientStream.EdgeAgent.Simulation;
using PatientStream.Kafka.Contracts;
using PatientStream.Mqtt;
using PatientStream.Testing;

namespace PatientStream.EdgeAgent.Tests.Simulation;

/// <summary>The simulator against a real Mosquitto with mTLS and the device ACL.</summary>
public sealed class DeviceSimulatorTests : IAsyncLifetime
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(60);
    private readonly MosquittoFixture _broker = new(new MosquittoOptions
    {
        Tls = true,
        Acl = MosquittoFixture.AclForDevices + "\nuser edge-watch\ntopic read ps/v1/devices/#\n",
    });

    public Task InitializeAsync() => _broker.InitializeAsync();

    private sealed class FixtureEnrollment(MosquittoFixture broker) : IDeviceEnrollment
    {
        public ConcurrentBag<string> Enrolled { get; } = [];

        public Task<X509Certificate2> EnrollAsync(string deviceId, CancellationToken cancellationToken)
        {
            Enrolled.Add(deviceId);
            return Task.FromResult(broker.IssueClientCertificate(deviceId));
        }
    }

    private SimulatorOptions Options(int patients, int batches) => new()
    {
        Patients = patients,
        BrokerPort = _broker.TlsPort,
        BrokerCa = _broker.Pki.Ca,
        BrokerTlsName = "localhost",
        Interval = TimeSpan.FromMilliseconds(50),
        BatchesPerDevice = batches,
    };

    private async Task<MqttClient> WatchAsync()
    {
        var client = new MqttClient(new MqttClientOptions
        {
            Port = _broker.TlsPort,
            ClientId = "edge-watch",
            ReceiveBufferCapacity = 10_000,
            Tls = new MqttTlsOptions { TrustedCa = _broker.Pki.Ca, ClientCertificate = _broker.IssueClientCertificate("edge-watch"), TargetHost = "localhost" },
        });
        Assert.True((await client.ConnectAsync(CancellationToken.None)).IsSuccess);
        Assert.True((await client.SubscribeAsync("ps/v1/devices/+/readings")).IsSuccess);
        return client;
    }

    /// <summary>Reads <paramref name="count"/> messages; the broker routed them before it acknowledged their publications.</summary>
    private static async Task<List<MqttReceivedMessage>> ReadAsync(MqttClient watch, int count)
    {
        using var deadline = new CancellationTokenSource(s_deadline);
        var messages = new List<MqttReceivedMessage>(count);
        while (messages.Count < count)
        {
            messages.Add(await watch.Messages.ReadAsync(deadline.Token));
        }
        return messages;
    }

    [Fact]
    public async Task Every_device_enrolls_connects_on_its_own_and_publishes_contract_batches()
    {
        await using var watch = await WatchAsync();
        var enrollment = new FixtureEnrollment(_broker);
        var simulator = new DeviceSimulator(Options(patients: 30, batches: 3), enrollment);

        await simulator.RunAsync(CancellationToken.None).WaitAsync(s_deadline);

        Assert.Equal(simulator.DeviceIds.Order(), enrollment.Enrolled.Order());
        var stats = simulator.Stats;
        Assert.Equal((90L, 0L, 30L), (stats.Published, stats.Refused, stats.Connections));
        Assert.Empty(stats.Faults);
        var messages = await ReadAsync(watch, 90);
        var batches = messages.Select(m =>
        {
            Assert.True(ContractsJson.TryParse(m.Payload.Span, out DeviceBatch? batch, out var error), error);
            Assert.Null(BatchContract.Check(batch!));
            Assert.Equal(m.Topic, $"ps/v1/devices/{batch!.Device}/readings");
            return (batch.Device, batch.Seq);
        }).ToList();
        Assert.Equal(90, batches.Distinct().Count());
    }

    [Fact]
    public async Task A_device_publishing_on_another_devices_topic_is_refused_by_the_broker_ACL()
    {
        await using var watch = await WatchAsync();
        var simulator = new DeviceSimulator(Options(patients: 5, batches: 4) with { Faults = SimulatorFaults.SpoofedTopic, FaultRate = 1 },
            new FixtureEnrollment(_broker));

        await simulator.RunAsync(CancellationToken.None).WaitAsync(s_deadline);

        var stats = simulator.Stats;
        Assert.Equal(20, stats.Faults["spoofed-topic"]);
        Assert.Equal(20, stats.Refused);
        var messages = await ReadAsync(watch, 20);
        Assert.False(watch.Messages.TryRead(out var extra), $"unexpected message on {extra?.Topic}");
        Assert.All(messages, m =>
        {
            Assert.True(ContractsJson.TryParse(m.Payload.Span, out DeviceBatch? batch, out _));
            Assert.Equal(EdgeGate.DeviceOfTopic(m.Topic), batch!.Device);
        });
    }

    public Task DisposeAsync() => _broker.DisposeAsync();
}
