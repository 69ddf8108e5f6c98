using System.Threading.Channels;

namespace PatientStream.Mqtt;

/// <summary>
/// Local dispatch of received messages to handlers by topic filter (the MQTT matching rules of
/// <see cref="MqttTopic.Matches"/>, including <c>$share/group/filter</c>). A message is acknowledged only after every
/// matching handler has completed, so with <see cref="MqttClientOptions.AutoAcknowledge"/> off a handler that stores
/// the message durably decides when the broker may forget it.
/// </summary>
public sealed class MqttMessageDispatcher
{
    private readonly Lock _lock = new();
    private (string Filter, Func<MqttReceivedMessage, CancellationToken, ValueTask> Handler)[] _routes = [];

    /// <summary>Messages no handler matched (acknowledged and dropped).</summary>
    public long Unmatched => Interlocked.Read(ref _unmatched);

    private long _unmatched;

    public void Register(string topicFilter, Func<MqttReceivedMessage, CancellationToken, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (!MqttTopic.IsValidFilter(topicFilter))
        {
            throw new ArgumentException("Invalid topic filter: " + topicFilter, nameof(topicFilter));
        }
        lock (_lock)
        {
            _routes = [.. _routes, (topicFilter, handler)];
        }
    }

    /// <summary>Dispatches until the reader completes or <paramref name="cancellationToken"/> fires; a handler's exception ends the run.</summary>
    public async Task RunAsync(ChannelReader<MqttReceivedMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        await foreach (var message in messages.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await DispatchAsync(message, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DispatchAsync(MqttReceivedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var matched = false;
        foreach (var (filter, handler) in Volatile.Read(ref _routes))
        {
            if (MqttTopic.Matches(filter, message.Topic))
            {
                matched = true;
                await handler(message, cancellationToken).ConfigureAwait(false);
            }
        }
        if (!matched)
        {
            Interlocked.Increment(ref _unmatched);
        }
        await message.AcknowledgeAsync(cancellationToken).ConfigureAwait(false);
    }
}
