"""Everything one simulator instance knows: instruments, market, account, sessions, limits, faults.

All of it lives on the server's event loop; REST handlers, the WebSocket
handler and the clock task read and change it without locks because they never
run concurrently (the fault switchboard is the one thread-safe entry point).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alphastock.sim.account import Account
from alphastock.sim.config import IST, RateLimits, SimConfig
from alphastock.sim.errors import KiteError, rate_error, token_error
from alphastock.sim.faults import Faults
from alphastock.sim.gtt import GttBook
from alphastock.sim.instruments import Instrument, generate_instruments
from alphastock.sim.market import NS, MarketModel
from alphastock.sim.matching import MatchingEngine, ist_text
from alphastock.sim.replay import ReplaySource

EXCHANGES = ["BFO", "MCX", "NSE", "CDS", "BSE", "BCD", "MF", "NFO"]
PRODUCTS = ["CNC", "NRML", "MIS", "BO", "CO"]
ORDER_TYPES = ["MARKET", "LIMIT", "SL", "SL-M"]
REQUEST_TOKEN_TTL_S = 300.0
"""Wall seconds a request_token stays exchangeable (Kite: "a couple of minutes")."""


@dataclass(frozen=True, slots=True)
class Session:
    """One login: the key and token the client sends, and when the token stops working."""

    api_key: str
    access_token: str
    login_ns: int
    expires_ns: int


def next_expiry(now_ns: int) -> int:
    """06:00 IST after ``now_ns`` (Kite's daily token expiry), UTC epoch ns."""
    now = dt.datetime.fromtimestamp(now_ns / NS, IST)
    expiry = dt.datetime.combine(now.date(), dt.time(6, 0), IST)
    if expiry <= now:
        expiry += dt.timedelta(days=1)
    return int(expiry.timestamp()) * NS


class RateLimiter:
    """Sliding windows of wall-clock request times per (api_key, category)."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._windows: dict[tuple[str, str, float], deque[float]] = {}
        self.refused: dict[str, int] = {}
        """Requests answered 429 per category (``quote``, ``historical``, ``orders``, ``other``)."""

    def _rules(self, category: str) -> list[tuple[float, int]]:
        lim = self.limits
        if category == "orders":
            return [
                (1.0, lim.orders_per_second),
                (60.0, lim.orders_per_minute),
                (86400.0, lim.orders_per_day),
            ]
        per_second = {"quote": lim.quote_per_second, "historical": lim.historical_per_second}
        return [(1.0, per_second.get(category, lim.other_per_second))]

    def check(self, api_key: str, category: str) -> None:
        """Count one request; raise the 429 KiteError when a window is full (the request is not counted)."""
        if not self.limits.enabled:
            return
        now = time.monotonic()
        windows = []
        for span, limit in self._rules(category):
            window = self._windows.setdefault((api_key, category, span), deque())
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) >= limit:
                self.refused[category] = self.refused.get(category, 0) + 1
                raise rate_error()
            windows.append(window)
        for window in windows:
            window.append(now)


class SimState:
    """The simulator's state, built from a :class:`SimConfig`."""

    def __init__(self, config: SimConfig) -> None:
        replay = None
        if config.replay is not None:
            tokens = {
                u.name: token
                for u in config.underlyings
                if (token := u.index_token or u.equity_token) is not None
            }
            replay = ReplaySource.load(
                config.replay, [u.name for u in config.underlyings], config.date, tokens
            )
            config = config.model_copy(update={"date": replay.day})
        self.config = config
        spots = (
            {n: p for n in (replay.names if replay else []) if (p := replay.previous_close(n)) is not None}
            if replay
            else None
        )
        self.instruments: list[Instrument] = generate_instruments(config, spots)
        self.by_key = {r.key: r for r in self.instruments}
        self.by_token = {r.instrument_token: r for r in self.instruments}
        self.model = MarketModel(config, self.instruments, replay)
        self.faults = Faults(config.faults, config.seed)
        holdings = []
        for symbol, qty, avg in config.holdings:
            inst = self.by_key.get(f"NSE:{symbol}")
            if inst is None:
                raise ValueError(f"holding {symbol} is not an NSE instrument of the simulator")
            holdings.append((inst, qty, avg))
        self.account = Account(config.opening_cash, holdings)
        self.engine = MatchingEngine(self.model, self.account, self.faults, config.user_id, self.by_key)
        self.gtt = GttBook(self.model, self.engine, self.by_key, config.user_id)
        """The account's GTT triggers (fired by :meth:`step`)."""
        self.limiter = RateLimiter(config.rate_limits)
        self.sessions: dict[str, Session] = {}
        self._logins = 0
        self.request_tokens: dict[str, float] = {}
        """Unused request tokens and their issue time (:attr:`wall` seconds)."""
        self._request_seq = 0
        self.wall: Callable[[], float] = time.monotonic
        """Wall clock of request-token expiry (replaceable in tests)."""
        self.access_token = self._issue(config.api_key).access_token

    def step(self, count: int = 1) -> None:
        """Advance the market ``count`` model steps; after each, match live orders, then fire GTTs."""
        for _ in range(count):
            self.model.step()
            self.engine.on_step()
            self.gtt.on_step()

    # -- sessions ----------------------------------------------------------------------------
    def _issue(self, api_key: str, request_token: str = "") -> Session:
        self._logins += 1
        digest = hashlib.sha256(f"{self.config.seed}:{self._logins}:{api_key}:{request_token}".encode())
        now = self.model.now_ns
        session = Session(api_key, digest.hexdigest()[:32], now, next_expiry(now))
        self.sessions[session.access_token] = session
        return session

    @property
    def strict(self) -> bool:
        """Whether only the configured api_key with a valid checksum may log in."""
        return self.config.api_secret is not None

    def issue_request_token(self) -> str:
        """A request_token as a successful Kite login returns it (``GET /connect/login``): with
        ``api_secret`` set, the only kind :meth:`login` accepts, once, within
        :data:`REQUEST_TOKEN_TTL_S` wall seconds."""
        self._request_seq += 1
        token = hashlib.sha256(f"request:{self.config.seed}:{self._request_seq}".encode()).hexdigest()[:32]
        self.request_tokens[token] = self.wall()
        return token

    def login(self, api_key: str, request_token: str, checksum: str) -> dict[str, Any]:
        """``POST /session/token``: a new session (Kite's generate_session payload).

        Without ``api_secret`` any key and token log in. With it, as Kite
        (https://kite.trade/docs/connect/v3/user/#login-flow): only ``api_key``; ``checksum`` must
        be SHA-256 of api_key + request_token + api_secret (TokenException "Invalid `checksum`.");
        the request_token must come from :meth:`issue_request_token`, unused and younger than
        :data:`REQUEST_TOKEN_TTL_S` (TokenException "Token is invalid or has expired.": "a request
        token is valid only for a couple of minutes and can be used only once",
        https://kite.trade/forum/discussion/comment/40134/).
        """
        if not api_key or not request_token:
            raise KiteError("Missing `api_key` or `request_token`.", "InputException", 400)
        if self.strict:
            secret = self.config.api_secret or ""
            expected = hashlib.sha256((api_key + request_token + secret).encode()).hexdigest()
            if api_key != self.config.api_key:
                raise token_error("Invalid `api_key`.")
            if not hmac.compare_digest(expected, checksum):
                raise token_error("Invalid `checksum`.")
            issued = self.request_tokens.pop(request_token, None)
            if issued is None or self.wall() - issued > REQUEST_TOKEN_TTL_S:
                raise token_error("Token is invalid or has expired.")
        session = self._issue(api_key, request_token)
        return {
            **self.profile(),
            "api_key": api_key,
            "access_token": session.access_token,
            "public_token": session.access_token[:16],
            "enctoken": session.access_token[::-1],
            "refresh_token": "",
            "silo": "",
            "login_time": ist_text(session.login_ns),
        }

    def logout(self, access_token: str) -> None:
        """Invalidate one access token."""
        self.sessions.pop(access_token, None)

    def authenticate(self, header: str) -> Session:
        """The session of an ``Authorization: token api_key:access_token`` header, or a 403 KiteError."""
        scheme, _, credentials = header.partition(" ")
        api_key, _, token = credentials.partition(":")
        session = self.sessions.get(token)
        if scheme != "token" or session is None or session.api_key != api_key:
            raise token_error()
        if self.model.now_ns >= session.expires_ns:
            raise token_error("Token is invalid or has expired.")
        return session

    def session_for(self, api_key: str, access_token: str) -> Session | None:
        """The live session of a WebSocket's query credentials, or None."""
        session = self.sessions.get(access_token)
        if session is None or session.api_key != api_key or self.model.now_ns >= session.expires_ns:
            return None
        return session

    # -- payloads ----------------------------------------------------------------------------
    def profile(self) -> dict[str, Any]:
        """``GET /user/profile``."""
        return {
            "user_id": self.config.user_id,
            "user_type": "individual",
            "email": "simulator@alphastock.invalid",
            "user_name": "AlphaStock Simulator",
            "user_shortname": "Simulator",
            "broker": "ZERODHA",
            "exchanges": EXCHANGES,
            "products": PRODUCTS,
            "order_types": ORDER_TYPES,
            "avatar_url": None,
            "meta": {"demat_consent": "physical"},
        }

    def margins(self, segment: str) -> dict[str, Any]:
        """``GET /user/margins/{segment}`` from the engine's margin figures."""
        u = self.engine.utilised(segment)
        cash = self.config.opening_cash
        net = self.engine.available_margin(segment)
        debits = u["span"] + u["exposure"] + u["option_premium"] + u["delivery"]
        r2 = {k: round(v, 2) for k, v in u.items()}
        return {
            "enabled": True,
            "net": round(net, 2),
            "available": {
                "adhoc_margin": 0, "cash": cash, "opening_balance": cash, "live_balance": round(net, 2),
                "collateral": 0, "intraday_payin": 0,
            },
            "utilised": {
                "debits": round(debits, 2), "exposure": r2["exposure"], "m2m_realised": r2["m2m_realised"],
                "m2m_unrealised": r2["m2m_unrealised"], "option_premium": r2["option_premium"], "payout": 0,
                "span": r2["span"], "holding_sales": 0, "turnover": 0, "liquid_collateral": 0,
                "stock_collateral": 0, "delivery": r2["delivery"],
            },
        }  # fmt: skip

    def quote(self, inst: Instrument, kind: str) -> dict[str, Any]:
        """One instrument's ``ltp``, ``ohlc`` or ``full`` quote payload."""
        m, i = self.model, inst.index
        ltp = round(float(m.ltp[i]), 2)
        out: dict[str, Any] = {"instrument_token": inst.instrument_token, "last_price": ltp}
        if kind == "ltp":
            return out
        close = float(m.close[i])
        out["ohlc"] = {
            "open": float(m.open[i]),
            "high": float(m.high[i]),
            "low": float(m.low[i]),
            "close": close,
        }
        if kind == "ohlc":
            return out
        buy_total, sell_total = m.total_quantities()
        band = 0.2 if inst.instrument_type == "EQ" else 0.4
        depth: dict[str, list[dict[str, Any]]] = {"buy": [], "sell": []}
        for side, px, qty, n in (
            ("buy", m.bid_px, m.bid_qty, m.bid_orders),
            ("sell", m.ask_px, m.ask_qty, m.ask_orders),
        ):
            for level in range(px.shape[1]):
                depth[side].append(
                    {"price": float(px[i, level]), "quantity": int(qty[i, level]), "orders": int(n[i, level])}
                )
        out.update(
            timestamp=ist_text(m.now_ns),
            last_trade_time=ist_text(int(m.last_trade_time[i]) * NS),
            last_quantity=int(m.last_qty[i]),
            buy_quantity=int(buy_total[i]) if not inst.is_index else 0,
            sell_quantity=int(sell_total[i]) if not inst.is_index else 0,
            volume=int(m.volume[i]),
            average_price=float(m.average_price()[i]),
            oi=int(m.oi[i]),
            oi_day_high=int(m.oi_high[i]),
            oi_day_low=int(m.oi_low[i]),
            net_change=round(ltp - close, 2) if close else 0,
            lower_circuit_limit=round(max(close * (1 - band), 0.05), 2) if not inst.is_index else 0,
            upper_circuit_limit=round(close * (1 + band), 2) if not inst.is_index else 0,
            depth=depth,
        )
        return out

    def holdings(self) -> list[dict[str, Any]]:
        """``GET /portfolio/holdings``: the opening holdings marked to the market."""
        out = []
        for inst, qty, avg in self.account.holdings:
            ltp = float(self.model.ltp[inst.index])
            close = float(self.model.close[inst.index])
            sold = sum(
                t.quantity
                for t in self.account.trades
                if t.instrument is inst and t.product == "CNC" and t.transaction_type == "SELL"
            )
            out.append({
                "tradingsymbol": inst.tradingsymbol, "exchange": inst.exchange,
                "instrument_token": inst.instrument_token, "isin": f"INE{inst.exchange_token:06d}01",
                "product": "CNC", "price": 0, "quantity": qty, "used_quantity": min(sold, qty),
                "t1_quantity": 0, "realised_quantity": qty, "authorised_quantity": 0,
                "authorised_date": f"{self.model.day} 00:00:00", "authorisation": {}, "opening_quantity": qty,
                "short_quantity": 0, "collateral_quantity": 0, "collateral_type": "", "discrepancy": False,
                "average_price": avg, "last_price": ltp, "close_price": close,
                "pnl": round((ltp - avg) * qty, 2), "day_change": round(ltp - close, 2),
                "day_change_percentage": round((ltp - close) / close * 100, 4) if close else 0,
            })  # fmt: skip
        return out

    @staticmethod
    def zero_charges() -> dict[str, Any]:
        """Charges block of order margins: zeros until the charges model is wired in."""
        return {"transaction_tax": 0, "transaction_tax_type": "stt", "exchange_turnover_charge": 0,
                "sebi_turnover_charge": 0, "brokerage": 0, "stamp_duty": 0,
                "gst": {"igst": 0, "cgst": 0, "sgst": 0, "total": 0}, "total": 0}  # fmt: skip


__all__ = ["REQUEST_TOKEN_TTL_S", "RateLimiter", "Session", "SimState", "next_expiry"]
