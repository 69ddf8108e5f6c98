using System.Globalization;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Errors;

namespace PatientStream.Fhir.Search;

/// <summary>
/// Turns search criteria into SQL over the index tables (shared by SQLite and PostgreSQL: only portable SQL).
/// Every condition is a set test on the resource row alias (<c>r.rid IN (...)</c>), so criteria compose by AND.
/// </summary>
public sealed class SqlCriteriaBuilder(FhirDefinitions definitions, SqlParameters parameters, Func<string, string, long> paramId)
{
    private readonly IndexLayout _layout = IndexLayout.For(definitions);

    /// <summary>
    /// "The index row belongs to this parameter": its stored parameter id(s), and for a parameter that is another
    /// restricted to one target type, the target type (reference rows only).
    /// </summary>
    /// <remarks>
    /// With <paramref name="probeOnly"/> the test is written so that no index can serve it (<c>pid + 0</c>): for rows
    /// already reached by row id, where an index on the parameter alone would mean walking all of its rows.
    /// </remarks>
    public string ParamTest(string alias, string resourceType, string param, bool referenceRows, string suffix = "", bool probeOnly = false)
    {
        var target = _layout.Resolve(resourceType, param);
        var ids = target.StoredParams.Select(p => parameters.Add(paramId(resourceType, p + suffix))).ToList();
        var pid = probeOnly ? $"({alias}.pid + 0)" : $"{alias}.pid";
        var test = ids.Count == 1 ? $"{pid} = {ids[0]}" : $"{pid} IN ({string.Join(", ", ids)})";
        var targetType = probeOnly ? $"({alias}.target_type || '')" : $"{alias}.target_type";
        return target.TargetType is not null && referenceRows ? $"{test} AND {targetType} = {parameters.Add(target.TargetType)}" : test;
    }

    public string Where(string alias, SearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var ordered = Ordered(query.Criteria).ToList();
        var parts = new List<string> { $"{alias}.deleted = 0" };

        // A driving index criterion already names the type through its parameter id. Leaving the type test out
        // matters: with it, SQLite prefers walking every row of the type over looking up the driver's row ids.
        if (ordered.Count == 0 || !DriverImpliesType(ordered[0]))
        {
            parts.Insert(0, $"{alias}.type = {parameters.Add(query.ResourceType)}");
        }

        parts.AddRange(ordered.Select((c, i) => Criterion(alias, query.ResourceType, c, driver: i == 0)));
        return string.Join(" AND ", parts);
    }

    /// <summary>
    /// The most selective criterion first: it drives the query as a set of row ids; the others are checked per
    /// candidate row through the (rid, param) indexes, so a wide criterion (a date range, a common code) never has
    /// to be materialised in full.
    /// </summary>
    private static IEnumerable<SearchCriterion> Ordered(IReadOnlyList<SearchCriterion> criteria) =>
        criteria.OrderBy(Rank);

    private static bool DriverImpliesType(SearchCriterion c) =>
        c.Has is null && c.Name is not ("_id" or "_lastUpdated") && c.Modifier is not ("not" or "missing");

    private static int Rank(SearchCriterion c)
    {
        if (c.Modifier is "not" or "missing")
        {
            return 9;
        }

        if (c.Has is not null || c.Chain.Count > 0)
        {
            return 5;
        }

        return c.Name switch
        {
            "_id" => 0,
            _ => c.Parameter.Type switch
            {
                SearchParamType.Reference => 1,
                SearchParamType.Token when c.Modifier != "text" => c.Values.All(v => v.Contains('|', StringComparison.Ordinal)) ? 2 : 3,
                SearchParamType.String or SearchParamType.Uri => 4,
                _ => 6,
            },
        };
    }

    public string Criterion(string alias, string resourceType, SearchCriterion c, bool driver = true)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.Has is { } has)
        {
            var s = alias + "s";
            return $"{alias}.id IN (SELECT {alias}h.target_id FROM sp_reference {alias}h JOIN resource {s} ON {s}.rid = {alias}h.rid"
                + $" WHERE {ParamTest(alias + "h", has.SourceType, has.ReferenceParameter, referenceRows: true)}"
                + $" AND {alias}h.target_type = {parameters.Add(resourceType)} AND {s}.deleted = 0 AND {Criterion(s, has.SourceType, has.Criterion)})";
        }

        if (c.Chain.Count > 0)
        {
            var t = alias + "t";
            var x = alias + "c";
            var links = string.Join(" OR ", c.Chain.Select(l => $"({t}.type = {parameters.Add(l.TargetType)} AND {Criterion(t, l.TargetType, l.Criterion)})"));
            var inner = $"sp_reference {x} JOIN resource {t} ON {t}.type = {x}.target_type AND {t}.id = {x}.target_id";
            return SetTest(alias, inner, x, $"{ParamTest(x, resourceType, c.Name, referenceRows: true)} AND {t}.deleted = 0 AND ({links})", negate: false, driver);
        }

        if (c.Name == "_id")
        {
            var ids = string.Join(", ", c.Values.Select(v => parameters.Add(v)));
            return c.Modifier == "not" ? $"{alias}.id NOT IN ({ids})" : $"{alias}.id IN ({ids})";
        }

        if (c.Name == "_lastUpdated")
        {
            return "(" + string.Join(" OR ", c.Values.Select(v => DateCondition(v, $"{alias}.last_updated", $"{alias}.last_updated"))) + ")";
        }

        var identifier = c.Modifier == "identifier";
        var table = identifier ? "sp_token" : TableFor(c.Parameter.Type);
        var i = alias + "x";
        var paramTest = ParamTest(i, resourceType, c.Name, referenceRows: table == "sp_reference", identifier ? ":identifier" : string.Empty);
        if (c.Modifier == "missing")
        {
            return SetTest(alias, $"{table} {i}", i, paramTest, negate: c.Values[0] == "true", driver);
        }

        var ors = string.Join(" OR ", c.Values.Select(v => "(" + ValueCondition(c, v) + ")"));
        return SetTest(alias, $"{table} {i}", i, $"{paramTest} AND ({ors})", negate: c.Modifier == "not", driver);
    }

    /// <summary>"The row has a matching index row": as an id set when driving, as a correlated probe otherwise.</summary>
    private static string SetTest(string alias, string from, string inner, string condition, bool negate, bool driver)
    {
        // The parameter id in the condition already names the resource type.
        var not = negate ? "NOT " : string.Empty;
        return driver
            ? $"{alias}.rid {not}IN (SELECT {inner}.rid FROM {from} WHERE {condition})"
            : $"{not}EXISTS (SELECT 1 FROM {from} WHERE {inner}.rid = {alias}.rid AND {condition})";
    }

    public static string TableFor(SearchParamType type) => type switch
    {
        SearchParamType.String => "sp_string",
        SearchParamType.Token => "sp_token",
        SearchParamType.Reference => "sp_reference",
        SearchParamType.Date => "sp_date",
        SearchParamType.Quantity => "sp_quantity",
        SearchParamType.Uri => "sp_uri",
        SearchParamType.Number => "sp_number",
        _ => throw new BadRequestException("UNSUPPORTED_PARAMETER", $"{type} parameters are not searchable."),
    };

    private string ValueCondition(SearchCriterion c, string value)
    {
        if (c.Modifier == "identifier")
        {
            return TokenCondition(value);
        }

        return c.Parameter.Type switch
        {
            SearchParamType.String => c.Modifier switch
            {
                "exact" => $"exact = {parameters.Add(value)}",
                "contains" => $"normalized LIKE {parameters.Add("%" + Like(SearchIndexer.Normalize(value)) + "%")} ESCAPE '\\'",
                _ => $"normalized LIKE {parameters.Add(Like(SearchIndexer.Normalize(value)) + "%")} ESCAPE '\\'",
            },
            SearchParamType.Token when c.Modifier == "text" => $"text LIKE {parameters.Add(Like(SearchIndexer.Normalize(value)) + "%")} ESCAPE '\\'",
            SearchParamType.Token => TokenCondition(value),
            SearchParamType.Reference => ReferenceCondition(c, value),
            SearchParamType.Date => DateCondition(value, "low", "high"),
            SearchParamType.Number => NumberCondition(value, "value"),
            SearchParamType.Quantity => QuantityCondition(value),
            SearchParamType.Uri => c.Modifier switch
            {
                "below" => $"uri LIKE {parameters.Add(Like(value) + "%")} ESCAPE '\\'",
                "above" => $"{parameters.Add(value)} LIKE uri || '%'",
                _ => $"uri = {parameters.Add(value)}",
            },
            _ => throw new BadRequestException("UNSUPPORTED_PARAMETER", $"'{c.Name}' is not searchable."),
        };
    }

    private string TokenCondition(string value)
    {
        var bar = value.IndexOf('|', StringComparison.Ordinal);
        if (bar < 0)
        {
            return $"code = {parameters.Add(value)}";
        }

        var system = value[..bar];
        var code = value[(bar + 1)..];
        var systemTest = system.Length == 0 ? "system IS NULL" : $"system = {parameters.Add(system)}";
        return code.Length == 0 ? systemTest : $"{systemTest} AND code = {parameters.Add(code)}";
    }

    private string ReferenceCondition(SearchCriterion c, string value)
    {
        var typeModifier = c.Modifier is not null && definitions.IsResourceType(c.Modifier) ? c.Modifier : null;
        if (Validation.ReferenceRules.TryParse(value, out var type, out var id) && type is not null && id is not null)
        {
            var typed = $"target_type = {parameters.Add(type)} AND target_id = {parameters.Add(id)}";
            return value.Contains("://", StringComparison.Ordinal) ? $"url = {parameters.Add(value)} OR ({typed})" : typed;
        }

        if (value.Contains(':', StringComparison.Ordinal))
        {
            return $"url = {parameters.Add(value.Split('|')[0])}";
        }

        var byId = $"target_id = {parameters.Add(value)}";
        return typeModifier is null ? byId : $"target_type = {parameters.Add(typeModifier)} AND {byId}";
    }

    private string DateCondition(string raw, string lowColumn, string highColumn)
    {
        var (prefix, text) = SplitPrefix(raw);
        if (!Validation.FhirDateTime.TryParse(text, out var range))
        {
            throw new BadRequestException("INVALID_DATE", $"'{raw}' is not a valid date search value.");
        }

        var low = parameters.Add(range.LowTicks);
        var high = parameters.Add(range.HighTicks);
        return prefix switch
        {
            "eq" => $"{lowColumn} >= {low} AND {highColumn} <= {high}",
            "ne" => $"NOT ({lowColumn} >= {low} AND {highColumn} <= {high})",
            "gt" => $"{highColumn} > {high}",
            "lt" => $"{lowColumn} < {low}",
            "ge" => $"{highColumn} >= {low}",
            "le" => $"{lowColumn} <= {high}",
            "sa" => $"{lowColumn} > {high}",
            "eb" => $"{highColumn} < {low}",
            "ap" => ApproximateDate(range, lowColumn, highColumn),
            _ => throw new BadRequestException("INVALID_PREFIX", $"Unknown prefix '{prefix}'."),
        };
    }

    private string ApproximateDate(Validation.FhirDateRange range, string lowColumn, string highColumn)
    {
        // 'ap': within 10% of the distance between the value and now (at least a day), as the spec suggests.
        var gap = Math.Abs((DateTimeOffset.UtcNow - range.Low).Ticks) / 10;
        var slack = Math.Max(gap, TimeSpan.TicksPerDay);
        return $"{highColumn} >= {parameters.Add(range.LowTicks - slack)} AND {lowColumn} <= {parameters.Add(range.HighTicks + slack)}";
    }

    private string NumberCondition(string raw, string column)
    {
        var (prefix, text) = SplitPrefix(raw);
        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            throw new BadRequestException("INVALID_NUMBER", $"'{raw}' is not a valid number search value.");
        }

        // Implicit precision: 100 matches [99.5, 100.5).
        var scale = text.Contains('.', StringComparison.Ordinal) ? text.Length - text.IndexOf('.', StringComparison.Ordinal) - 1 : 0;
        var half = 0.5m / (decimal)Math.Pow(10, scale);
        var value = parameters.Add((double)number);
        return prefix switch
        {
            "eq" => $"{column} >= {parameters.Add((double)(number - half))} AND {column} < {parameters.Add((double)(number + half))}",
            "ne" => $"NOT ({column} >= {parameters.Add((double)(number - half))} AND {column} < {parameters.Add((double)(number + half))})",
            "gt" or "sa" => $"{column} > {value}",
            "lt" or "eb" => $"{column} < {value}",
            "ge" => $"{column} >= {value}",
            "le" => $"{column} <= {value}",
            "ap" => $"{column} >= {parameters.Add((double)(number - Math.Abs(number / 10)))} AND {column} <= {parameters.Add((double)(number + Math.Abs(number / 10)))}",
            _ => throw new BadRequestException("INVALID_PREFIX", $"Unknown prefix '{prefix}'."),
        };
    }

    private string QuantityCondition(string raw)
    {
        var parts = raw.Split('|');
        var condition = NumberCondition(parts[0], "value");
        if (parts.Length == 3)
        {
            if (parts[1].Length > 0)
            {
                condition += $" AND system = {parameters.Add(parts[1])}";
            }

            if (parts[2].Length > 0)
            {
                condition += $" AND code = {parameters.Add(parts[2])}";
            }
        }
        else if (parts.Length != 1)
        {
            throw new BadRequestException("INVALID_QUANTITY", $"'{raw}' is not of the form [prefix]number|system|code.");
        }

        return condition;
    }

    private static (string Prefix, string Value) SplitPrefix(string raw) =>
        raw.Length > 2 && char.IsAsciiLetterLower(raw[0]) && char.IsAsciiLetterLower(raw[1]) ? (raw[..2], raw[2..]) : ("eq", raw);

    private static string Like(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
