using System.Security.Cryptography.X509Certificates;
using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt;

/// <summary>TLS settings. Hostname verification is on unless explicitly switched off.</summary>
public sealed record MqttTlsOptions
{
    /// <summary>Name the server certificate must carry; defaults to <see cref="MqttClientOptions.Host"/>.</summary>
    public string? TargetHost { get; init; }

    /// <summary>Client certificate (with private key) for mutual TLS.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Trust only this CA (and not the system store) for the server's chain.</summary>
    public X509Certificate2? TrustedCa { get; init; }

    /// <summary>Off only for test rigs; a hospital network must verify the broker's name.</summary>
    public bool VerifyHostname { get; init; } = true;

    public System.Security.Authentication.SslProtocols Protocols { get; init; } = System.Security.Authentication.SslProtocols.None;
}

/// <summary>
/// Settings of one <see cref="MqttClient"/>. Defaults suit a device or a gateway on a LAN; <see cref="Validate"/>
/// fails at start-up with a message naming the bad setting.
/// </summary>
public sealed record MqttClientOptions
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 1883;
    public MqttProtocolVersion ProtocolVersion { get; init; } = MqttProtocolVersion.V311;

    /// <summary>Empty asks the broker to assign one (requires a clean session under 3.1.1).</summary>
    public string ClientId { get; init; } = "";
    public bool CleanSession { get; init; } = true;

    /// <summary>MQTT 5 session expiry; when null a persistent session (<see cref="CleanSession"/> false) never expires, as in 3.1.1.</summary>
    public uint? SessionExpiryInterval { get; init; }
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(30);
    public string? UserName { get; init; }
    public ReadOnlyMemory<byte>? Password { get; init; }
    public MqttApplicationMessage? Will { get; init; }

    /// <summary>MQTT 5 will delay interval in seconds.</summary>
    public uint? WillDelayInterval { get; init; }
    public MqttTlsOptions? Tls { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long SUBSCRIBE/UNSUBSCRIBE wait for their acknowledgement before failing.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>QoS 1/2 publications awaiting acknowledgement; the broker's receive maximum lowers it further.</summary>
    public int MaxInflight { get; init; } = 100;

    /// <summary>Publications accepted but not yet written; a full queue makes PublishAsync wait.</summary>
    public int MaxQueuedMessages { get; init; } = 1_000;

    /// <summary>Received messages not yet read from <see cref="MqttClient.Messages"/>; a full buffer stops reading the socket.</summary>
    public int ReceiveBufferCapacity { get; init; } = 1_000;

    /// <summary>Largest packet accepted from the broker (announced to it under MQTT 5); larger ones are a protocol error.</summary>
    public uint MaximumPacketSize { get; init; } = 1 << 20;

    /// <summary>MQTT 5: topic aliases accepted from the broker.</summary>
    public ushort TopicAliasMaximum { get; init; }

    /// <summary>MQTT 5: replace repeated topics by aliases when the broker allows it.</summary>
    public bool UseTopicAliases { get; init; }

    /// <summary>
    /// When false, QoS 1/2 messages are acknowledged only by <see cref="MqttReceivedMessage.AcknowledgeAsync"/>, so
    /// a consumer can store a message durably before the broker forgets it.
    /// </summary>
    public bool AutoAcknowledge { get; init; } = true;

    public bool AutoReconnect { get; init; } = true;
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>MQTT 5 user properties sent with CONNECT.</summary>
    public IReadOnlyList<MqttUserProperty> UserProperties { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Check(bool ok, string name, string why)
        {
            if (!ok)
            {
                throw new ArgumentException($"MqttClientOptions.{name}: {why}", name);
            }
        }
        Check(!string.IsNullOrWhiteSpace(Host), nameof(Host), "is required.");
        Check(Port is > 0 and < 65536, nameof(Port), "must be 1..65535.");
        Check(Enum.IsDefined(ProtocolVersion), nameof(ProtocolVersion), "must be V311 or V500.");
        Check(ClientId.Length > 0 || CleanSession || ProtocolVersion == MqttProtocolVersion.V500, nameof(ClientId),
            "an empty client id needs a clean session under MQTT 3.1.1.");
        Check(System.Text.Encoding.UTF8.GetByteCount(ClientId) <= ushort.MaxValue, nameof(ClientId), "is too long.");
        Check(KeepAlive >= TimeSpan.Zero && KeepAlive.TotalSeconds <= ushort.MaxValue, nameof(KeepAlive), "must be 0..65535 seconds.");
        Check(Password is null || UserName is not null || ProtocolVersion == MqttProtocolVersion.V500, nameof(Password),
            "MQTT 3.1.1 sends a password only with a user name.");
        Check(Will is null || MqttTopic.IsValidName(Will.Topic), nameof(Will), "topic must be a valid topic name.");
        Check(ConnectTimeout > TimeSpan.Zero, nameof(ConnectTimeout), "must be positive.");
        Check(RequestTimeout > TimeSpan.Zero, nameof(RequestTimeout), "must be positive.");
        // Identifiers are shared with SUBSCRIBE/UNSUBSCRIBE, so the window leaves room for those.
        Check(MaxInflight is > 0 and <= 65_000, nameof(MaxInflight), "must be 1..65000.");
        Check(MaxQueuedMessages > 0, nameof(MaxQueuedMessages), "must be positive.");
        Check(ReceiveBufferCapacity > 0, nameof(ReceiveBufferCapacity), "must be positive.");
        Check(MaximumPacketSize >= 64 && MaximumPacketSize <= 268_435_460, nameof(MaximumPacketSize), "must be 64 bytes .. 256 MB.");
        Check(ReconnectDelay > TimeSpan.Zero && MaxReconnectDelay >= ReconnectDelay, nameof(ReconnectDelay),
            "must be positive and not above MaxReconnectDelay.");
        Check(Tls?.ClientCertificate is null || Tls.ClientCertificate.HasPrivateKey, nameof(Tls), "client certificate needs its private key.");
    }
}
