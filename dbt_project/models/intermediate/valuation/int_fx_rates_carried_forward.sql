with

fx_rates as (
    select * from {{ ref('stg_reference__fx_rates') }}
),

publication_dates as (
    select distinct rate_date from fx_rates
),

-- A rate published on a day stays the latest one until the ECB's next publication (the next
-- TARGET business day): weekends and holidays use the previous business day's rate.
publication_periods as (
    select
        rate_date,
        lead(rate_date) over (order by rate_date) as next_publication_date
    from publication_dates
),

-- The period ends at the next publication even when that publication has no rate for the
-- currency, so a currency the ECB stopped quoting (RUB in 2022) is not carried forward for
-- years. After the latest publication the rate stays valid (valid_to is null): the history
-- ships inside a package, and the age of the rate used is reported in fx_rate_date.
final as (
    select
        fx_rates.currency,
        fx_rates.rate_date,
        fx_rates.rate_per_eur,
        fx_rates.rate_date as valid_from,
        publication_periods.next_publication_date as valid_to
    from fx_rates
    inner join publication_periods
        on fx_rates.rate_date = publication_periods.rate_date
)

select * from final
