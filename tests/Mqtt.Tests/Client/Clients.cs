using System.Text;
using PatientStream.Testing;

namespace PatientStream.Mqtt.Tests.Client;

/// <summary>Client helpers for tests against the fixture broker. Waits are deadlines on signals, never sleeps.</summary>
internal static class Clients
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static string UniqueId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    public static MqttClientOptions Options(MosquittoFixture broker, MqttProtocolVersion version, string? clientId = null) => new()
    {
        Host = MosquittoFixture.Host,
        Port = broker.Port,
        ProtocolVersion = version,
        ClientId = clientId ?? UniqueId("c"),
        ReconnectDelay = TimeSpan.FromMilliseconds(50),
        MaxReconnectDelay = TimeSpan.FromSeconds(1),
    };

    public static async Task<MqttClient> ConnectAsync(MqttClientOptions options)
    {
        var client = new MqttClient(options);
        using var deadline = new CancellationTokenSource(Deadline);
        var result = await client.ConnectAsync(deadline.Token);
        Assert.True(result.IsSuccess, $"connect refused: {result.ReasonCode} {result.ReasonString}");
        return client;
    }

    public static async Task<MqttReceivedMessage> ReceiveAsync(this MqttClient client)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        return await client.Messages.ReadAsync(deadline.Token);
    }

    public static string Text(this MqttReceivedMessage message) => Encoding.UTF8.GetString(message.Payload.Span);

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Completes with the next Connected event whose reconnect flag matches.</summary>
    public static Task<MqttConnectedEventArgs> NextConnected(MqttClient client, bool isReconnect = true)
    {
        var signal = new TaskCompletionSource<MqttConnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Connected += (_, e) =>
        {
            if (e.IsReconnect == isReconnect)
            {
                signal.TrySetResult(e);
            }
        };
        return signal.Task.WaitAsync(Deadline);
    }

    public static Task<MqttDisconnectedEventArgs> NextDisconnected(MqttClient client)
    {
        var signal = new TaskCompletionSource<MqttDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Disconnected += (_, e) => signal.TrySetResult(e);
        return signal.Task.WaitAsync(Deadline);
    }
}
