"""Daraja answers as recorded from the wire (see shared reference), replayed by the unit tests."""

TOKEN = {"access_token": "c9SQxWWhmdVRlyh0zh8gZDTkubVF", "expires_in": "3599"}
TOKEN_NUMERIC_EXPIRY = {"access_token": "Q2hhbmdlZFRva2VuMTIz", "expires_in": 3599}

STK_ACCEPTED = {
    "MerchantRequestID": "2654-4b64-97ff-b827b542881d3130",
    "CheckoutRequestID": "ws_CO_1007202409152617172396192",
    "ResponseCode": "0",
    "ResponseDescription": "Success. Request accepted for processing",
    "CustomerMessage": "Success. Request accepted for processing",
}

QUERY_SUCCESS = {
    "ResponseCode": "0",
    "ResponseDescription": "The service request has been accepted successsfully",
    "MerchantRequestID": "22205-34066-1",
    "CheckoutRequestID": "ws_CO_13012021093521236557",
    "ResultCode": "0",
    "ResultDesc": "The service request is processed successfully.",
}
QUERY_CANCELLED = {
    **QUERY_SUCCESS,
    "ResultCode": "1032",
    "ResultDesc": "Request cancelled by user",
}
QUERY_ODD_CODE = {**QUERY_SUCCESS, "ResultCode": "SFC_IC0003", "ResultDesc": "Invalid till"}

C2B_REGISTERED = {
    "OriginatorCoversationID": "7619-37765134-1",
    "ResponseCode": "0",
    "ResponseDescription": "Success",
}


def error(code: str, message: str) -> dict:
    return {
        "requestId": "1c5b-4ba8-815c-ac45c57a3db01495926",
        "errorCode": code,
        "errorMessage": message,
    }


INVALID_TOKEN = error("404.001.03", "Invalid Access Token")
INVALID_PHONE = error("400.002.02", "Bad Request - Invalid PhoneNumber")
SYSTEM_BUSY = error("500.003.02", "System is busy. Please try again in few minutes.")
SPIKE_ARREST = error("500.003.02", "Spike Arrest Violation")
QUOTA = error("500.003.03", "Quota Violation")
WRONG_CREDENTIALS = error("500.001.1001", "Wrong credentials")
SUBSCRIBER_LOCKED = error(
    "500.001.1001",
    "Unable to lock subscriber, a transaction is already in process for the current subscriber",
)
BEING_PROCESSED = error("500.001.1001", "The transaction is being processed")
DOES_NOT_EXIST = error("500.001.1001", "The transaction does not Exist")
OAUTH_INVALID_CREDENTIALS = error("400.008.01", "Invalid Authentication passed")

PROXY_502_HTML = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
