{#
    Complementary error function in plain SQL arithmetic (exp, sqrt, floor, abs), so that the
    experiment statistics run unchanged on DuckDB and Spark.

    W. J. Cody's rational Chebyshev approximations (Math. Comp. 23, 1969, as in his CALERF
    routine): relative error below 1e-15 over the whole line, far tighter than the 1e-7 of the
    common Abramowitz-Stegun shortcut, which is not good enough for p-values near 0.001.
    Three intervals of |x|: [0, 0.46875] via erf, (0.46875, 4], and (4, inf). exp(-y*y) is
    split into exp(-r*r) * exp(-(y - r)(y + r)) with r = y rounded down to 1/16, as Cody does,
    to keep full relative precision far out in the tail.

    `x` should be a column or a simple expression; it is repeated in the generated SQL.
#}

{%- macro _cody_horner(var, leading, coefficients) -%}
    {#- ((leading + c1) * var + c2) * var ... : the loop of Cody's routine, unrolled. -#}
    {%- set ns = namespace(expr=leading) -%}
    {%- for c in coefficients -%}
        {%- set ns.expr = '(' ~ ns.expr ~ ' + ' ~ c ~ ') * ' ~ var -%}
    {%- endfor -%}
    {{ ns.expr }}
{%- endmacro -%}

{%- macro _cody_gauss_tail(y) -%}
    {#- exp(-y^2) with the 1/16 split described above. -#}
    exp(-(floor({{ y }} * 16.0e0) / 16.0e0) * (floor({{ y }} * 16.0e0) / 16.0e0))
    * exp(-({{ y }} - floor({{ y }} * 16.0e0) / 16.0e0) * ({{ y }} + floor({{ y }} * 16.0e0) / 16.0e0))
{%- endmacro -%}

{% macro erfc(x) -%}
    {%- set a = ['3.16112374387056560e0', '1.13864154151050156e2', '3.77485237685302021e2',
                 '3.20937758913846947e3', '1.85777706184603153e-1'] -%}
    {%- set b = ['2.36012909523441209e1', '2.44024637934444173e2', '1.28261652607737228e3',
                 '2.84423683343917062e3'] -%}
    {%- set c = ['5.64188496988670089e-1', '8.88314979438837594e0', '6.61191906371416295e1',
                 '2.98635138197400131e2', '8.81952221241769090e2', '1.71204761263407058e3',
                 '2.05107837782607147e3', '1.23033935479799725e3', '2.15311535474403846e-8'] -%}
    {%- set d = ['1.57449261107098347e1', '1.17693950891312499e2', '5.37181101862009858e2',
                 '1.62138957456669019e3', '3.29079923573345963e3', '4.36261909014324716e3',
                 '3.43936767414372164e3', '1.23033935480374942e3'] -%}
    {%- set p = ['3.05326634961232344e-1', '3.60344899949804439e-1', '1.25781726111229246e-1',
                 '1.60837851487422766e-2', '6.58749161529837803e-4', '1.63153871373020978e-2'] -%}
    {%- set q = ['2.56852019228982242e0', '1.87295284992346047e0', '5.27905102951428412e-1',
                 '6.05183413124413191e-2', '2.33520497626869185e-3'] -%}
    {%- set xd = 'cast(' ~ x ~ ' as ' ~ type_double() ~ ')' -%}
    {%- set y = 'abs(' ~ xd ~ ')' -%}
    {%- set ysq = '(' ~ y ~ ' * ' ~ y ~ ')' -%}
    {%- set inv_ysq = '(1.0e0 / ' ~ ysq ~ ')' -%}
    {#- |x| <= 0.46875: erf(y) = y * A(y^2) / B(y^2) -#}
    {%- set erf_small = y ~ ' * ('
        ~ _cody_horner(ysq, a[4] ~ ' * ' ~ ysq, a[0:3]) ~ ' + ' ~ a[3] ~ ') / ('
        ~ _cody_horner(ysq, ysq, b[0:3]) ~ ' + ' ~ b[3] ~ ')' -%}
    {#- 0.46875 < |x| <= 4: erfc(y) = exp(-y^2) * C(y) / D(y) -#}
    {%- set erfc_mid = _cody_gauss_tail(y) ~ ' * ('
        ~ _cody_horner(y, c[8] ~ ' * ' ~ y, c[0:7]) ~ ' + ' ~ c[7] ~ ') / ('
        ~ _cody_horner(y, y, d[0:7]) ~ ' + ' ~ d[7] ~ ')' -%}
    {#- |x| > 4: erfc(y) = exp(-y^2) / y * (1/sqrt(pi) - z * P(z) / Q(z)), z = 1/y^2 -#}
    {%- set erfc_large = _cody_gauss_tail(y) ~ ' * (5.6418958354775628695e-1 - ' ~ inv_ysq
        ~ ' * (' ~ _cody_horner(inv_ysq, p[5] ~ ' * ' ~ inv_ysq, p[0:4]) ~ ' + ' ~ p[4] ~ ') / ('
        ~ _cody_horner(inv_ysq, inv_ysq, q[0:4]) ~ ' + ' ~ q[4] ~ ')) / ' ~ y -%}
    (case
        when {{ xd }} is null then null
        when {{ y }} <= 0.46875e0 then 1.0e0 - sign({{ xd }}) * ({{ erf_small }})
        when {{ y }} >= 26.6e0 then case when {{ xd }} > 0 then 0.0e0 else 2.0e0 end
        when {{ y }} <= 4.0e0 and {{ xd }} > 0 then {{ erfc_mid }}
        when {{ y }} <= 4.0e0 then 2.0e0 - {{ erfc_mid }}
        when {{ xd }} > 0 then {{ erfc_large }}
        else 2.0e0 - {{ erfc_large }}
    end)
{%- endmacro %}

{#- Standard normal CDF, Phi(z) = erfc(-z / sqrt 2) / 2. -#}
{% macro normal_cdf(z) -%}
    (0.5e0 * {{ erfc('-(' ~ z ~ ') * 7.0710678118654752440e-1') }})
{%- endmacro %}

{#- Two-sided p-value of a standard-normal statistic: erfc(|z| / sqrt 2). -#}
{% macro two_sided_normal_p(z) -%}
    {{ erfc('abs(' ~ z ~ ') * 7.0710678118654752440e-1') }}
{%- endmacro %}
