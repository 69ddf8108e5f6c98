namespace PatientStream.Mqtt;

/// <summary>Topic names and filters: validation and matching, including shared subscriptions.</summary>
public static class MqttTopic
{
    private const string SharePrefix = "$share/";

    /// <summary>A topic name to publish to: non-empty, no wildcards, no U+0000.</summary>
    public static bool IsValidName(string topic) =>
        !string.IsNullOrEmpty(topic) && topic.AsSpan().IndexOfAny('+', '#', '\0') < 0;

    /// <summary>
    /// A topic filter: '#' only as the whole last level, '+' only as a whole level; a shared subscription
    /// (<c>$share/group/filter</c>) needs a group without wildcards or '/' and a valid filter after it.
    /// </summary>
    public static bool IsValidFilter(string filter)
    {
        if (string.IsNullOrEmpty(filter) || filter.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }
        if (filter.StartsWith(SharePrefix, StringComparison.Ordinal))
        {
            var rest = filter.AsSpan(SharePrefix.Length);
            var slash = rest.IndexOf('/');
            if (slash <= 0 || rest[..slash].IndexOfAny('+', '#') >= 0 || slash == rest.Length - 1)
            {
                return false;
            }
            return IsValidPlainFilter(rest[(slash + 1)..]);
        }
        return IsValidPlainFilter(filter);
    }

    private static bool IsValidPlainFilter(ReadOnlySpan<char> filter)
    {
        for (var i = 0; i < filter.Length; i++)
        {
            var c = filter[i];
            var levelStart = i == 0 || filter[i - 1] == '/';
            var levelEnd = i == filter.Length - 1 || filter[i + 1] == '/';
            if (c == '+' && !(levelStart && levelEnd))
            {
                return false;
            }
            if (c == '#' && !(levelStart && i == filter.Length - 1))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The filter a broker matches against: <c>$share/group/a/+</c> becomes <c>a/+</c>.</summary>
    public static string StripShare(string filter)
    {
        if (!filter.StartsWith(SharePrefix, StringComparison.Ordinal))
        {
            return filter;
        }
        var slash = filter.IndexOf('/', SharePrefix.Length);
        return slash < 0 ? filter : filter[(slash + 1)..];
    }

    /// <summary>
    /// Whether <paramref name="topic"/> matches <paramref name="filter"/> (MQTT §4.7): '+' one level, '#' this level
    /// and all below (including the parent), and wildcards at the first level never match topics that start with '$'.
    /// </summary>
    public static bool Matches(string filter, string topic)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(topic);
        var f = StripShare(filter).AsSpan();
        var t = topic.AsSpan();
        if (t.Length > 0 && t[0] == '$' && f.Length > 0 && (f[0] == '+' || f[0] == '#'))
        {
            return false;
        }
        while (true)
        {
            var fSlash = f.IndexOf('/');
            var fLevel = fSlash < 0 ? f : f[..fSlash];
            if (fLevel is "#")
            {
                return true;
            }
            var tSlash = t.IndexOf('/');
            var tLevel = tSlash < 0 ? t : t[..tSlash];
            if (!(fLevel is "+" || fLevel.SequenceEqual(tLevel)))
            {
                return false;
            }
            if (fSlash < 0 || tSlash < 0)
            {
                // "a/#" matches "a": the filter's remaining level is a lone '#'.
                return fSlash < 0 && tSlash < 0 || (tSlash < 0 && f[(fSlash + 1)..] is "#");
            }
            f = f[(fSlash + 1)..];
            t = t[(tSlash + 1)..];
        }
    }
}
