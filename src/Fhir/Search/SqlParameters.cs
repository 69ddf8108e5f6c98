namespace PatientStream.Fhir.Search;

/// <summary>Positional-free SQL parameters (<c>@p0</c>, <c>@p1</c>, ...) collected while a query is built.</summary>
public sealed class SqlParameters
{
    private readonly List<KeyValuePair<string, object>> _items = [];

    public IReadOnlyList<KeyValuePair<string, object>> Items => _items;

    public string Add(object value)
    {
        var name = "@p" + _items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _items.Add(new KeyValuePair<string, object>(name, value));
        return name;
    }
}
