"""The API's request and response schemas (pydantic 1.10): handlers validate with them and the OpenAPI
document is generated from them."""
