using System.Globalization;

namespace PatientStream.Ingest.Mapping.Expressions;

/// <summary>An expression that cannot be compiled; <see cref="Position"/> is the 0-based offset of the problem in the text.</summary>
public sealed class ExpressionException(int position, string problem) : Exception($"at {position + 1}: {problem}")
{
    public int Position { get; } = position;
    public string Problem { get; } = problem;
}

/// <summary>
/// Compiles the mapping's expression language, a deliberately small one: no evaluation of host code, no reflection,
/// no loops, nothing but arithmetic that always terminates.
/// <code>
/// expression := term (('+' | '-') term)*
/// term       := unary (('*' | '/') unary)*
/// unary      := '-' unary | primary
/// primary    := number | input | function '(' expression (',' expression)* ')' | '(' expression ')'
/// number     := digits ['.' digits] [('e' | 'E') ['+' | '-'] digits]
/// input      := [A-Za-z_][A-Za-z0-9_]*          (one of the declared inputs)
/// function   := min | max (2+ arguments) | round (1 or 2: value, decimals) | abs | sqrt (1)
/// </code>
/// Text and nesting are bounded (<see cref="MaxLength"/>, <see cref="MaxDepth"/>), so a hostile mapping cannot exhaust the stack.
/// </summary>
public static class ExpressionParser
{
    public const int MaxLength = 1_000;
    public const int MaxDepth = 32;

    private static readonly Dictionary<string, (int Min, int Max)> s_functions = new(StringComparer.Ordinal)
    {
        ["min"] = (2, 16), ["max"] = (2, 16), ["round"] = (1, 2), ["abs"] = (1, 1), ["sqrt"] = (1, 1),
    };

    /// <summary>Compiles <paramref name="text"/>; names other than <paramref name="inputs"/> are errors.</summary>
    /// <exception cref="ExpressionException">The text is not a valid expression over the inputs.</exception>
    public static Expression Parse(string text, IReadOnlyList<string> inputs)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(inputs);
        if (text.Length > MaxLength)
        {
            throw new ExpressionException(MaxLength, $"expression is longer than {MaxLength} characters");
        }
        var parser = new Cursor(text, inputs);
        var root = parser.Expression(0);
        parser.SkipSpace();
        if (!parser.AtEnd)
        {
            throw parser.Fail($"unexpected '{parser.Current}' after a complete expression");
        }
        return new Expression(text, root, [.. inputs]);
    }

    private sealed class Cursor(string text, IReadOnlyList<string> inputs)
    {
        private int _position;

        public bool AtEnd => _position >= text.Length;

        public char Current => text[_position];

        public ExpressionException Fail(string problem) => new(_position, problem);

        public void SkipSpace()
        {
            while (!AtEnd && char.IsWhiteSpace(Current))
            {
                _position++;
            }
        }

        public Node Expression(int depth)
        {
            if (depth > MaxDepth)
            {
                throw Fail($"expression nests deeper than {MaxDepth} levels");
            }
            return Operators(depth, '+', '-', Term);
        }

        private Node Term(int depth) => Operators(depth, '*', '/', Unary);

        /// <summary>A left-associative chain of operands joined by either of two operators of one precedence.</summary>
        private Node Operators(int depth, char first, char second, Func<int, Node> operand)
        {
            var left = operand(depth);
            while (Accept(first) || Accept(second))
            {
                var op = text[_position - 1];
                left = new BinaryNode(op, left, operand(depth));
            }
            return left;
        }

        private Node Unary(int depth)
        {
            if (depth > MaxDepth)
            {
                throw Fail($"expression nests deeper than {MaxDepth} levels");
            }
            return Accept('-') ? new NegateNode(Unary(depth + 1)) : Primary(depth);
        }

        private Node Primary(int depth)
        {
            SkipSpace();
            if (AtEnd)
            {
                throw Fail("expression ends where a number, input or '(' was expected");
            }
            var c = Current;
            if (c == '(')
            {
                _position++;
                var inner = Expression(depth + 1);
                Expect(')', "')' to close the parenthesis");
                return inner;
            }
            if (char.IsAsciiDigit(c) || c == '.')
            {
                return Number();
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                return Name(depth);
            }
            throw Fail($"unexpected '{c}' where a number, input or '(' was expected");
        }

        private NumberNode Number()
        {
            var start = _position;
            Digits();
            if (!AtEnd && Current == '.')
            {
                _position++;
                Digits();
            }
            if (_position - start == 1 && text[start] == '.')
            {
                _position = start;
                throw Fail("a number needs digits");
            }
            if (!AtEnd && Current is 'e' or 'E')
            {
                _position++;
                if (!AtEnd && Current is '+' or '-')
                {
                    _position++;
                }
                if (AtEnd || !char.IsAsciiDigit(Current))
                {
                    throw Fail("an exponent needs digits");
                }
                Digits();
            }
            var literal = text.AsSpan(start, _position - start);
            if (!double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                _position = start;
                throw Fail($"'{literal}' is not a finite number");
            }
            return new NumberNode(value);
        }

        private void Digits()
        {
            while (!AtEnd && char.IsAsciiDigit(Current))
            {
                _position++;
            }
        }

        private Node Name(int depth)
        {
            var start = _position;
            while (!AtEnd && (char.IsAsciiLetterOrDigit(Current) || Current == '_'))
            {
                _position++;
            }
            var name = text[start.._position];
            SkipSpace();
            if (!AtEnd && Current == '(')
            {
                if (!s_functions.TryGetValue(name, out var arity))
                {
                    _position = start;
                    throw Fail($"'{name}' is not a function; the functions are {string.Join(", ", s_functions.Keys)}");
                }
                _position++;
                var arguments = new List<Node> { Expression(depth + 1) };
                while (Accept(','))
                {
                    arguments.Add(Expression(depth + 1));
                }
                Expect(')', $"',' or ')' in the arguments of {name}");
                if (arguments.Count < arity.Min || arguments.Count > arity.Max)
                {
                    _position = start;
                    throw Fail(arity.Min == arity.Max
                        ? $"{name} takes {arity.Min} argument(s), not {arguments.Count}"
                        : $"{name} takes {arity.Min} to {arity.Max} arguments, not {arguments.Count}");
                }
                return new CallNode(name, [.. arguments]);
            }
            var index = IndexOf(name);
            if (index < 0)
            {
                _position = start;
                throw Fail(inputs.Count == 0
                    ? $"unknown name '{name}'; this expression has no inputs"
                    : $"unknown name '{name}'; the inputs are {string.Join(", ", inputs)}");
            }
            return new InputNode(index, name);
        }

        private int IndexOf(string name)
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                if (string.Equals(inputs[i], name, StringComparison.Ordinal))
                {
                    return i;
                }
            }
            return -1;
        }

        private bool Accept(char c)
        {
            SkipSpace();
            if (!AtEnd && Current == c)
            {
                _position++;
                return true;
            }
            return false;
        }

        private void Expect(char c, string what)
        {
            if (!Accept(c))
            {
                throw Fail(AtEnd ? $"expression ends where {what} was expected" : $"unexpected '{Current}' where {what} was expected");
            }
        }
    }
}
