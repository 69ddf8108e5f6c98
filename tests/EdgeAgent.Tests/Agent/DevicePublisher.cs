using PatientStream.Kafka.Contracts;
using PatientStream.Mqtt;

namespace PatientStream.EdgeAgent.Tests.Agent;

/// <summary>Publishes contract batches for several devices over one MQTT connection (plain listener, no ACL).</summary>
internal static class DevicePublisher
{
    public static async Task<MqttClient> ConnectAsync(int port, string clientId)
    {
        var client = new MqttClient(new MqttClientOptions { Port = port, ClientId = clientId });
        var connected = await client.ConnectAsync(CancellationToken.None);
        Assert.True(connected.IsSuccess, connected.ReasonCode.ToString());
        return client;
    }

    /// <summary>Publishes seq <paramref name="from"/>..<paramref name="to"/> of every device, round-robin, each acknowledged by the broker.</summary>
    public static async Task PublishAsync(MqttClient client, IReadOnlyList<string> devices, int from, int to, CancellationToken cancellationToken)
    {
        for (var seq = from; seq <= to; seq++)
        {
            foreach (var device in devices)
            {
                var payload = ContractsJson.Serialize(Readings.Batch(device, seq));
                var result = await client.PublishAsync($"ps/v1/devices/{device}/readings", payload, cancellationToken: cancellationToken);
                Assert.True(result.IsSuccess, result.ReasonCode.ToString());
            }
        }
    }
}
